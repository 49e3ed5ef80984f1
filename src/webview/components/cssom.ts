/**
 * `${setStyle({ left: '4px' })}` on an element: sets style properties through the CSSOM. A `style` attribute in a
 * template (even through lit's styleMap) is blocked by the webview's CSP (no inline style attributes).
 */
import { type ElementPart, nothing } from 'lit';
import { Directive, directive, PartType, type PartInfo } from 'lit/directive.js';

class SetStyle extends Directive {
  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ELEMENT) throw new Error('setStyle goes on an element, not in an attribute');
  }

  render(_props: Record<string, string>) {
    return nothing;
  }

  override update(part: ElementPart, [props]: [Record<string, string>]) {
    const style = (part.element as HTMLElement).style;
    for (const [k, v] of Object.entries(props)) if (style.getPropertyValue(k) !== v) style.setProperty(k, v);
    return nothing;
  }
}

export const setStyle = directive(SetStyle);
