import { describe, expect, it } from 'vitest';
import { bodyCharset, decodeBody, jsonDepthExceeded } from '../src/http/intake-common.js';
import { rejectionReason } from '../src/http/intake-metrics.js';

describe('jsonDepthExceeded', () => {
  it.each([
    ['flat', '{"a":1,"b":[1,2]}', 2, null],
    ['exactly the limit', '[[[]]]', 3, null],
    ['one past the limit', '[[[[]]]]', 3, { offset: 3 }],
    ['brackets inside strings', '{"a":"[[[[{{{{"}', 1, null],
    ['an escaped quote does not end the string', '{"a":"\\"[[[["}', 1, null],
    ['an escaped backslash before the closing quote', '{"a":"\\\\","b":[[1]]}', 2, { offset: 15 }],
    ['siblings do not add up', '[[1],[2],[3]]', 2, null],
  ])('%s', (_what, text, max, expected) => {
    expect(jsonDepthExceeded(text, max)).toEqual(expected);
  });

  it('scans a 1,000,000-deep text without recursion', () => {
    expect(jsonDepthExceeded('['.repeat(1_000_000), 64)).toEqual({ offset: 64 });
  });
});

describe('bodyCharset', () => {
  it.each([
    [undefined, { charset: 'utf-8' }],
    ['application/json', { charset: 'utf-8' }],
    ['application/json; charset=UTF-8', { charset: 'utf-8' }],
    ['application/json;charset="utf-16LE"', { charset: 'utf-16le' }],
    ['application/json; foo=bar; charset=latin1', { charset: 'iso-8859-1' }],
    ['application/json; charset=windows-1252', { error: 'unsupported charset "windows-1252" in Content-Type: send UTF-8 (UTF-16 and ISO-8859-1 are decoded too)' }],
    ['application/json; charset=', { error: 'unsupported charset "" in Content-Type: send UTF-8 (UTF-16 and ISO-8859-1 are decoded too)' }],
  ])('%s', (contentType, expected) => {
    expect(bodyCharset(contentType)).toEqual(expected);
  });

  it('decodes ISO-8859-1 byte for byte (0x80-0x9F are C1 controls, not windows-1252)', () => {
    expect(decodeBody(Buffer.from([0x80, 0xe9]), 'iso-8859-1')).toBe('\u0080é');
  });
});

it('counts a 422 as outside_retention in the intake metrics', () => {
  expect(rejectionReason(422)).toBe('outside_retention');
  expect(rejectionReason(400)).toBe('malformed');
});
