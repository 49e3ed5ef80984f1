/** Windowing math for the virtual list: which rows to render, where to scroll, where arrow keys go. */

export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  count: number;
  /** Extra rows rendered above and below the viewport. */
  overscan?: number;
}

/** Rows [start, end) to render, and the offset of the first one. */
export function visibleWindow({ scrollTop, viewportHeight, rowHeight, count, overscan = 8 }: WindowInput): {
  start: number;
  end: number;
  offset: number;
} {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(viewportHeight, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(count - 1, first - overscan));
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offset: start * rowHeight };
}

/** The scrollTop that brings row `index` fully into view with the least movement (unchanged if already visible). */
export function scrollToReveal(index: number, rowHeight: number, scrollTop: number, viewportHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

/** The scrollTop that puts row `index` in the middle of the viewport (for jumps from elsewhere). */
export function scrollToCenter(index: number, rowHeight: number, viewportHeight: number, count: number): number {
  const max = Math.max(0, count * rowHeight - viewportHeight);
  return Math.min(max, Math.max(0, index * rowHeight - (viewportHeight - rowHeight) / 2));
}

/** Where a navigation key moves the active row; null for keys it does not handle. */
export function moveIndex(current: number, key: string, count: number, pageSize: number): number | null {
  if (count <= 0) return null;
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  switch (key) {
    case 'ArrowDown':
      return clamp(current < 0 ? 0 : current + 1);
    case 'ArrowUp':
      return clamp(current < 0 ? 0 : current - 1);
    case 'PageDown':
      return clamp(current + Math.max(1, pageSize));
    case 'PageUp':
      return clamp(current - Math.max(1, pageSize));
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}
