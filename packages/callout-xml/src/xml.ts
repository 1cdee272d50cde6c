/**
 * A small, strict, non-validating XML 1.0 reader, and the escaping used by the builders.
 *
 * Why not a general-purpose parser: callout documents come from hosts that patchbay does not control
 * (connectors) or go to them, and the contract for them is simple: elements, text, a few attributes. This
 * reader accepts exactly well-formed XML 1.0 in UTF-8 and refuses, with a specific reason, everything a
 * hostile or broken peer might send:
 *
 * - **No DTDs, no entity declarations, no entity expansion.** A `<!DOCTYPE` (or any other `<!` markup
 *   declaration such as `<!ENTITY`) is refused the moment it is seen, before anything it declares could be
 *   used. So XXE (`SYSTEM "file:///etc/passwd"`) and billion-laughs inputs are refused in constant time.
 *   Only the five predefined entities (`&lt; &gt; &amp; &apos; &quot;`) and numeric character references
 *   are decoded; any other `&name;` is an undefined entity and the document is refused.
 * - **Bounded work.** The size cap is checked before decoding, the scan is a single linear pass with no
 *   backtracking regular expressions and no recursion (nesting depth is capped too), so no input can make it
 *   hang or overflow the stack.
 * - **Never throws.** Every problem is an `{ ok: false, code, reason }`.
 * - HTML (an error or login page) is recognized and reported as such, not as a puzzling XML error.
 *
 * Namespaces are not resolved: elements keep their qualified `name` and expose their `localName` (the part
 * after any prefix), which is what the format readers match on.
 */
import { failure } from './result.ts';
import type { ParseFailure } from './result.ts';

/** The default size cap of every parser: 2 MiB, well above the largest valid callout document. */
export const DEFAULT_MAX_XML_BYTES = 2 * 1024 * 1024;
/** The default nesting cap; the deepest callout document nests 3 levels. */
export const DEFAULT_MAX_XML_DEPTH = 32;

/** Limits of a parse. */
export interface XmlParseOptions {
  /** Refuse documents larger than this many bytes (UTF-8). Default `DEFAULT_MAX_XML_BYTES` (2 MiB). */
  maxBytes?: number;
  /** Refuse elements nested deeper than this. Default `DEFAULT_MAX_XML_DEPTH` (32). */
  maxDepth?: number;
}

/** An element of a parsed document. */
export interface XmlElement {
  /** The qualified name as written, e.g. `i:nil` or `Attendee`. */
  readonly name: string;
  /** The name without its namespace prefix. */
  readonly localName: string;
  /** The attributes by qualified name, values entity-decoded and whitespace-normalized. */
  readonly attributes: ReadonlyMap<string, string>;
  /** The child elements, in document order. */
  readonly children: readonly XmlElement[];
  /** The element's own character data (text and CDATA, entity-decoded, not trimmed), without its children's. */
  readonly text: string;
  /** The 1-based line where the element starts. */
  readonly line: number;
}

/** The result of `parseXml`. */
export type XmlParseResult = { ok: true; root: XmlElement } | ParseFailure;

interface BuildingElement {
  name: string;
  localName: string;
  attributes: ReadonlyMap<string, string>;
  children: BuildingElement[];
  text: string;
  line: number;
}

// XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. With the `u` flag a
// lone surrogate is a code point of its own, outside every range here, so it is matched (and refused) too.
const ILLEGAL_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ILLEGAL_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

// XML 1.0 (5th edition) `Name`, NameStartChar then NameChar*.
const NAME_START =
  'A-Z_a-z:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F' +
  '\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// The combining marks U+0300–U+036F are NameChars on their own, by the XML spec: the class is meant that way.
// eslint-disable-next-line no-misleading-character-class
const NAME = new RegExp(`[${NAME_START}][${NAME_CHAR}]*`, 'uy');
const WHITESPACE = /[ \t\n]*/y; // \r is normalized to \n before scanning.
const END_TAG_REST = /[ \t\n]*>/y;
const ATTRIBUTE_VALUE = /"([^"<]*)"|'([^'<]*)'/y;
const REFERENCE = /&(?:#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6})|([^\s&;<]{1,64}));/y;
/** Shared by the (many) elements without attributes, to spare an allocation each. */
const NO_ATTRIBUTES: ReadonlyMap<string, string> = new Map();

const PREDEFINED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['apos', "'"],
  ['quot', '"'],
]);

/** Thrown inside the scanner; `parseXml` turns it into its failure result. */
class XmlError extends Error {
  readonly failure: ParseFailure;
  constructor(result: ParseFailure) {
    super(result.reason);
    this.failure = result;
  }
}

/**
 * Parses a document. `input` is a string, or bytes that must be UTF-8 (a byte-order mark is allowed; a
 * declared encoding other than UTF-8 or ASCII is refused for bytes). Never throws.
 */
export function parseXml(input: string | Uint8Array, options: XmlParseOptions = {}): XmlParseResult {
  try {
    return { ok: true, root: scan(decode(input, options), options) };
  } catch (error) {
    if (error instanceof XmlError) return error.failure;
    // Nothing above should throw anything else; if it does, it is still an answer, not an exception.
    const message = error instanceof Error ? error.message : String(error);
    return failure('malformed', `not well-formed XML: ${message}`);
  }
}

function limit(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 1) throw new XmlError(failure('invalid', `${name} must be a positive integer`));
  return chosen;
}

/** The UTF-8 length of a string, without allocating (stops counting past `stopAfter`). */
function utf8Length(text: string, stopAfter: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= stopAfter; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function decode(input: string | Uint8Array, options: XmlParseOptions): string {
  const maxBytes = limit(options.maxBytes, DEFAULT_MAX_XML_BYTES, 'maxBytes');
  const tooLarge = (size: string): XmlError =>
    new XmlError(failure('too-large', `the document is ${size}, over the ${maxBytes}-byte limit`));
  let text: string;
  if (typeof input === 'string') {
    // A UTF-16 unit is at least one UTF-8 byte: a string longer than the cap is refused without measuring it.
    if (input.length > maxBytes) throw tooLarge(`at least ${input.length} bytes`);
    const bytes = utf8Length(input, maxBytes);
    if (bytes > maxBytes) throw tooLarge('larger than that');
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) throw tooLarge(`${input.byteLength} bytes`);
    try {
      // `fatal`: invalid UTF-8 is refused rather than silently replaced. The BOM, if any, is dropped.
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw new XmlError(failure('malformed', 'the document is not valid UTF-8'));
    }
    const declared = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']/.exec(text.slice(0, 200))?.[1];
    if (declared !== undefined && !/^(utf-?8|us-ascii|ascii)$/i.test(declared)) {
      throw new XmlError(failure('malformed', `the document declares the encoding ${JSON.stringify(declared)}; only UTF-8 is supported`));
    }
  } else {
    throw new XmlError(failure('invalid', 'the document must be a string or bytes'));
  }
  // XML end-of-line handling: CRLF and lone CR are read as LF (a CR meant as data is written `&#xD;`).
  return text.replace(/\r\n?/g, '\n');
}

function lineOf(text: string, position: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < position; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function scan(text: string, options: XmlParseOptions): XmlElement {
  const maxDepth = limit(options.maxDepth, DEFAULT_MAX_XML_DEPTH, 'maxDepth');
  const malformed = (position: number, what: string): XmlError =>
    new XmlError(failure('malformed', `not well-formed XML (line ${lineOf(text, position)}): ${what}`));

  if (text.trim() === '') throw new XmlError(failure('malformed', 'the document is empty'));

  // An HTML page (an error page, a login form) is the most common "not XML" answer: name it plainly.
  const start = text.slice(0, 512).trimStart().toLowerCase();
  if (start.startsWith('<!doctype html') || /^<html[\s>/]/.test(start)) {
    throw new XmlError(failure('html', 'the document is an HTML page, not XML'));
  }
  if (!start.startsWith('<')) {
    throw new XmlError(failure('malformed', `not XML: the document starts with ${JSON.stringify(text.trimStart().slice(0, 30))}`));
  }

  const illegal = ILLEGAL_CHAR.exec(text);
  if (illegal) {
    const code = illegal[0].codePointAt(0) ?? 0;
    throw malformed(illegal.index, `the character U+${code.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML 1.0`);
  }

  const decodeReferences = (raw: string, at: number): string => {
    let amp = raw.indexOf('&');
    if (amp === -1) return raw;
    let out = '';
    let from = 0;
    while (amp !== -1) {
      out += raw.slice(from, amp);
      REFERENCE.lastIndex = amp;
      const match = REFERENCE.exec(raw);
      if (!match) throw malformed(at, "a bare '&' (it must be written &amp;)");
      const [, decimal, hex, name] = match;
      if (name !== undefined) {
        const value = PREDEFINED_ENTITIES.get(name);
        if (value === undefined) {
          // Only the predefined entities exist: without a DTD nothing else can be declared, and DTDs are refused.
          throw malformed(at, `the entity &${name}; is not defined (only &lt; &gt; &amp; &apos; &quot; and character references are)`);
        }
        out += value;
      } else {
        const code = Number.parseInt(decimal ?? hex ?? '', decimal !== undefined ? 10 : 16);
        const char = code <= 0x10ffff ? String.fromCodePoint(code) : '';
        if (char === '' || ILLEGAL_CHAR.test(char)) throw malformed(at, `the character reference ${match[0]} is not an XML 1.0 character`);
        out += char;
      }
      from = REFERENCE.lastIndex;
      amp = raw.indexOf('&', from);
    }
    return out + raw.slice(from);
  };

  // Line numbers for elements, counted incrementally: the scan only moves forward and each newline is found
  // once (the next one is remembered, so a document without newlines is not searched again per element).
  let lineCursor = 0;
  let lineNumber = 1;
  let nextNewline = text.indexOf('\n');
  const lineAt = (at: number): number => {
    if (at < lineCursor) return lineOf(text, at);
    while (nextNewline !== -1 && nextNewline < at) {
      lineNumber++;
      nextNewline = text.indexOf('\n', nextNewline + 1);
    }
    lineCursor = at;
    return lineNumber;
  };

  const stack: BuildingElement[] = [];
  let root: BuildingElement | undefined;
  let position = 0;

  // The XML declaration, if any, must come first (leading whitespace is tolerated).
  const declaration = /^[ \t\n]*<\?xml(?=[ \t\n?])/.exec(text);
  if (declaration) {
    const end = text.indexOf('?>', declaration[0].length);
    if (end === -1) throw malformed(0, 'the XML declaration is not closed');
    const body = text.slice(declaration[0].length, end);
    if (!/^[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.[0-9]+\1/.test(body)) throw malformed(0, 'the XML declaration has no valid version');
    position = end + 2;
  }

  while (position < text.length) {
    const lt = text.indexOf('<', position);
    const end = lt === -1 ? text.length : lt;
    if (end > position) {
      const raw = text.slice(position, end);
      const top = stack.at(-1);
      if (top === undefined) {
        if (/[^ \t\n]/.test(raw)) throw malformed(position, root ? 'text after the root element' : 'text before the root element');
      } else {
        if (raw.includes(']]>')) throw malformed(position, "']]>' in text");
        top.text += decodeReferences(raw, position);
      }
    }
    if (lt === -1) break;
    // Every branch below sets `position` past the markup it reads.
    const next = text.charCodeAt(lt + 1);

    if (next === 0x2f /* / */) {
      NAME.lastIndex = lt + 2;
      const name = NAME.exec(text)?.[0];
      if (name === undefined) throw malformed(lt, 'an invalid end tag');
      END_TAG_REST.lastIndex = lt + 2 + name.length;
      if (!END_TAG_REST.test(text)) throw malformed(lt, `the end tag </${name}> is not closed`);
      const open = stack.pop();
      if (open === undefined) throw malformed(lt, `the end tag </${name}> has no start tag`);
      if (open.name !== name) throw malformed(lt, `<${open.name}> (line ${open.line}) is closed by </${name}>`);
      position = END_TAG_REST.lastIndex;
    } else if (next === 0x21 /* ! */) {
      if (text.startsWith('<!--', lt)) {
        const close = text.indexOf('-->', lt + 4);
        if (close === -1) throw malformed(lt, 'a comment is not closed');
        position = close + 3;
      } else if (text.startsWith('<![CDATA[', lt)) {
        const top = stack.at(-1);
        if (top === undefined) throw malformed(lt, 'CDATA outside the root element');
        const close = text.indexOf(']]>', lt + 9);
        if (close === -1) throw malformed(lt, 'a CDATA section is not closed');
        top.text += text.slice(lt + 9, close);
        position = close + 3;
      } else {
        // DOCTYPE, ENTITY, ELEMENT, ATTLIST, NOTATION: refused as soon as seen, nothing is ever declared.
        const keyword = /^<!([A-Za-z]*)/.exec(text.slice(lt, lt + 20))?.[1]?.toUpperCase() ?? '';
        if (keyword === 'DOCTYPE' && /^<!doctype[ \t\n]+html[ \t\n>]/i.test(text.slice(lt, lt + 20))) {
          throw new XmlError(failure('html', 'the document is an HTML page, not XML'));
        }
        const what = keyword === 'DOCTYPE' ? 'a DOCTYPE (DTD)' : keyword === 'ENTITY' ? 'an entity declaration' : `a <!${keyword}> declaration`;
        throw new XmlError(failure('dtd', `the document contains ${what}: DTDs and entity declarations are not allowed (line ${lineOf(text, lt)})`));
      }
    } else if (next === 0x3f /* ? */) {
      // A processing instruction: skipped. `<?xml ...?>` anywhere but the start is an error.
      NAME.lastIndex = lt + 2;
      const target = NAME.exec(text)?.[0];
      if (target === undefined) throw malformed(lt, 'an invalid processing instruction');
      if (target.toLowerCase() === 'xml') throw malformed(lt, 'an XML declaration that is not at the start of the document');
      const close = text.indexOf('?>', lt + 2);
      if (close === -1) throw malformed(lt, 'a processing instruction is not closed');
      position = close + 2;
    } else {
      NAME.lastIndex = lt + 1;
      const name = NAME.exec(text)?.[0];
      if (name === undefined) throw malformed(lt, "a '<' that does not start a tag (it must be written &lt;)");
      const parent = stack.at(-1);
      if (parent === undefined && root !== undefined) throw malformed(lt, `a second root element <${name}>`);
      if (stack.length >= maxDepth) {
        throw new XmlError(failure('too-deep', `elements are nested more than ${maxDepth} levels deep (line ${lineOf(text, lt)})`));
      }
      const element: BuildingElement = {
        name,
        localName: name.slice(name.indexOf(':') + 1),
        attributes: NO_ATTRIBUTES,
        children: [],
        text: '',
        line: lineAt(lt),
      };
      let at = lt + 1 + name.length;
      let selfClosing = false;
      let attributes: Map<string, string> | undefined;
      for (;;) {
        WHITESPACE.lastIndex = at;
        WHITESPACE.test(text);
        const spaced = WHITESPACE.lastIndex > at;
        at = WHITESPACE.lastIndex;
        if (text.startsWith('/>', at)) {
          selfClosing = true;
          at += 2;
          break;
        }
        if (text.startsWith('>', at)) {
          at += 1;
          break;
        }
        if (at >= text.length) throw malformed(lt, `the start tag <${name}> is not closed (truncated?)`);
        NAME.lastIndex = at;
        const attribute = spaced ? NAME.exec(text)?.[0] : undefined;
        if (attribute === undefined) throw malformed(at, `an invalid attribute in <${name}>`);
        at += attribute.length;
        WHITESPACE.lastIndex = at;
        WHITESPACE.test(text);
        at = WHITESPACE.lastIndex;
        if (text[at] !== '=') throw malformed(at, `the attribute ${attribute} of <${name}> has no value`);
        WHITESPACE.lastIndex = at + 1;
        WHITESPACE.test(text);
        ATTRIBUTE_VALUE.lastIndex = WHITESPACE.lastIndex;
        const quoted = ATTRIBUTE_VALUE.exec(text);
        if (!quoted) throw malformed(at, `the attribute ${attribute} of <${name}> has an invalid value`);
        attributes ??= new Map();
        if (attributes.has(attribute)) throw malformed(at, `the attribute ${attribute} of <${name}> is repeated`);
        // Attribute-value normalization: each whitespace character becomes a space.
        attributes.set(attribute, decodeReferences((quoted[1] ?? quoted[2] ?? '').replace(/[\t\n]/g, ' '), at));
        at = ATTRIBUTE_VALUE.lastIndex;
      }
      if (attributes) element.attributes = attributes;
      if (parent) parent.children.push(element);
      else root = element;
      if (!selfClosing) stack.push(element);
      position = at;
    }
  }

  const unclosed = stack.at(-1);
  if (unclosed) throw malformed(text.length, `<${unclosed.name}> (line ${unclosed.line}) is not closed (truncated?)`);
  if (root === undefined) throw malformed(text.length, 'there is no root element');
  if (root.localName.toLowerCase() === 'html') throw new XmlError(failure('html', 'the document is an HTML page, not XML'));
  return root;
}

/** Removes the characters that XML 1.0 does not allow (controls other than tab/LF/CR, lone surrogates, U+FFFE/FFFF). */
export function stripIllegalXmlChars(value: string): string {
  return value.replace(ILLEGAL_CHARS, '');
}

/**
 * Escapes a value for use as element text or an attribute value: strips the characters XML 1.0 does not
 * allow, escapes `& < > " '`, and writes CR as `&#xD;` (a literal CR would be read back as LF).
 */
export function escapeXml(value: string): string {
  return stripIllegalXmlChars(value).replace(/[&<>"'\r]/g, (char) => ESCAPES[char] ?? char);
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#xD;',
};

/**
 * One element with text: `<name>escaped</name>`, or `<name/>` when the value is empty (the form the
 * spec's examples use for blanks).
 */
export function xmlElement(name: string, value: string): string {
  const escaped = escapeXml(value);
  return escaped === '' ? `<${name}/>` : `<${name}>${escaped}</${name}>`;
}
