import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestPathMatch } from '../../src/core/query/pathMatch';

test('the candidate sharing the most trailing segments wins; ties go to the shorter path', () => {
  const candidates = ['/work/app/lib/auth.ts', '/work/app/src/auth.ts', '/work/app/test/src/auth.ts', '/work/app/src/login.ts'];
  assert.equal(bestPathMatch('/home/alice/app/src/auth.ts', candidates), '/work/app/src/auth.ts');
  assert.equal(bestPathMatch('C:\\Users\\bob\\app\\lib\\auth.ts', candidates), '/work/app/lib/auth.ts');
  assert.equal(bestPathMatch('/x/auth.ts', ['/a/b/c/auth.ts', '/a/auth.ts']), '/a/auth.ts');
  assert.equal(bestPathMatch('/x/missing.ts', candidates), null);
  assert.equal(bestPathMatch('/x/auth.ts', []), null);
});
