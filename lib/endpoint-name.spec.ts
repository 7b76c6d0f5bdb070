import { describe, expect, it } from '@jest/globals';
import { isEndpointName } from './endpoint-name.js';

describe('isEndpointName', () => {
  it.each(['foobar', 'user-42', 'a.b:c_d', 'x'.repeat(128), '...', 'A9'])('accepts %j', (name) => {
    expect(isEndpointName(name)).toBe(true);
  });

  it.each(['', '.', '..', 'x'.repeat(129), 'a/b', 'a b', '*', 'a#b', 'été', '\0', 'a?b', 42, undefined])(
    'refuses %j',
    (name) => {
      expect(isEndpointName(name)).toBe(false);
    },
  );
});
