import { describe, expect, it } from 'vitest';
import { ValueError } from './errors.js';
import { checkOptions } from './options.js';

describe('checkOptions', () => {
  const check = (value: unknown) => () => checkOptions('op', 'opts', value, ['a', 'b']);

  it('passes known keys, own or inherited, class instances and undefined', () => {
    expect(check(undefined)).not.toThrow();
    expect(check({ a: 1 })).not.toThrow();
    expect(check(Object.create({ b: 2 }))).not.toThrow();
    class Opts {
      a = 1;
      get b(): number {
        return 2;
      }
    }
    expect(check(new Opts())).not.toThrow();
  });

  it('an own unknown key: named with the accepted keys and any refusal sentence', () => {
    expect(check({ a: 1, c: 2 })).toThrow(ValueError);
    expect(check({ a: 1, c: 2 })).toThrow(/^op: unknown option c in opts \(accepted: a, b\)$/);
    expect(check({ c: 1, groups: 2 })).toThrow(/^op: unknown options c, groups in opts \(accepted: a, b\): grouped and depthwise convolutions/);
  });

  it('an unknown key inherited from the options object\'s prototype (a typo in a defaults object) is refused too', () => {
    expect(check(Object.create({ c: 1 }))).toThrow(/^op: unknown option c in opts, inherited from its prototype \(accepted: a, b\)$/);
  });

  it('an enumerable key added to Object.prototype (an old polyfill) is nobody\'s typo and passes', () => {
    let result: unknown = 'not run';
    Object.defineProperty(Object.prototype, 'pollutedKey', { value: 1, enumerable: true, configurable: true, writable: true });
    try {
      checkOptions('op', 'opts', { a: 1 }, ['a']);
      result = 'passed';
    } catch (e) {
      result = e;
    } finally {
      delete (Object.prototype as Record<string, unknown>).pollutedKey;
    }
    expect(result).toBe('passed');
  });

  it('null, arrays and numbers are not options objects', () => {
    expect(check(null)).toThrow(/^op: opts must be an object \{ a, b \}, got null$/);
    expect(check([1])).toThrow(/got an array$/);
    expect(check(3)).toThrow(/got number$/);
  });
});
