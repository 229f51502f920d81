/**
 * Text cleaning of SPEC §3 ("strings trimmed, control characters removed, lengths
 * capped"). One scan decides whether anything needs doing; ordinary strings come back as
 * they are, without a copy.
 */

/** C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F): the Unicode `Cc` category. */
function isControl(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/**
 * Control characters that separate words (tab, line feed, vertical tab, form feed,
 * carriage return, next line): they become a space, so `red\nshoes` stays two words.
 */
function isSpacingControl(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || c === 0x85;
}

/** True when `s[i]` is a surrogate that is not half of a well-formed pair. */
function isLoneSurrogate(s: string, i: number, c: number): boolean {
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
    return !(prev >= 0xd800 && prev <= 0xdbff);
  }
  return false;
}

function rebuild(s: string, from: number): string {
  let out = s.slice(0, from);
  let chunk = from;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isControl(c)) {
      out += s.slice(chunk, i);
      if (isSpacingControl(c)) out += ' ';
      chunk = i + 1;
    } else if (c >= 0xd800 && c <= 0xdfff && isLoneSurrogate(s, i, c)) {
      out += s.slice(chunk, i) + '\uFFFD';
      chunk = i + 1;
    }
  }
  return out + s.slice(chunk);
}

/**
 * Cleans a free-text or identifier string: removes control characters (C0, DEL, C1; tab,
 * line breaks and NEL become a space so words stay apart), replaces lone surrogates with
 * U+FFFD (they cannot be written as UTF-8), trims white space at both ends (as
 * `String.prototype.trim`), and caps the length at `maxLength` UTF-16 code units without
 * splitting a surrogate pair (then trims the end again). Ordinary Unicode, including
 * format characters such as U+200D, is kept. `null`, `undefined` and what cleans to the
 * empty string give `null`.
 *
 * @example
 * cleanText('  Blue\tshoes\u0000 ', 64); // 'Blue shoes'
 * cleanText('abc😀', 4);                 // 'abc' (the emoji is two code units)
 * cleanText(' \u0007 ', 64);             // null
 */
export function cleanText(value: string | null | undefined, maxLength: number): string | null {
  if (value === null || value === undefined) return null;
  let s = value;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // Printable ASCII (the common case) costs two comparisons.
    if (c >= 0x20 && c < 0x7f) continue;
    if (c < 0x20 || c <= 0x9f || (c >= 0xd800 && c <= 0xdfff && isLoneSurrogate(s, i, c))) {
      s = rebuild(s, i);
      break;
    }
  }
  s = s.trim();
  if (s.length > maxLength) {
    let end = Math.max(0, Math.floor(maxLength));
    const last = s.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--; // the pair's low half would be cut off
    s = s.slice(0, end).trimEnd();
  }
  return s.length === 0 ? null : s;
}
