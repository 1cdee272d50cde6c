/** The strict XML reader (`parseXml`) and the builders' escaping (`escapeXml`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, parseXml, stripIllegalXmlChars } from '../src/index.ts';

function refused(input: string | Uint8Array, code: string, pattern?: RegExp, options = {}): string {
  const result = parseXml(input, options);
  assert.equal(result.ok, false, `expected a refusal for ${JSON.stringify(String(input).slice(0, 80))}`);
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.code, code, result.reason);
  if (pattern) assert.match(result.reason, pattern);
  return result.reason;
}

test('reads elements, attributes, text, CDATA, comments, PIs and the five predefined entities and character references', () => {
  const result = parseXml(
    '<?xml version="1.0" encoding="utf-8"?>\n<!-- c --><?pi x?><r xmlns:i="urn:i" a=\'1 &amp; 2\'>\n' +
      '  <v i:nil="true"/><t> A &amp; &lt;&gt;&apos;&quot; &#38;&#x41;&#x1F600; </t><c><![CDATA[x<y&z]]></c></r>\n<!-- after -->',
  );
  assert.ok(result.ok, JSON.stringify(result));
  const root = result.root;
  assert.equal(root.name, 'r');
  assert.equal(root.attributes.get('a'), '1 & 2');
  assert.deepEqual(root.children.map((c) => c.name), ['v', 't', 'c']);
  assert.equal(root.children[0]!.attributes.get('i:nil'), 'true');
  assert.equal(root.children[1]!.text, " A & <>'\" &A\u{1F600} ");
  assert.equal(root.children[2]!.text, 'x<y&z');
  assert.equal(root.children[1]!.line, 3);
  assert.equal(root.line, 2);
});

test('prefixed names expose their local name; CRLF is read as LF; a BOM is allowed', () => {
  const result = parseXml('\uFEFF<a:Root xmlns:a="urn:x"><a:Leaf>x\r\ny\rz</a:Leaf></a:Root>');
  assert.ok(result.ok);
  assert.equal(result.root.localName, 'Root');
  assert.equal(result.root.children[0]!.localName, 'Leaf');
  assert.equal(result.root.children[0]!.text, 'x\ny\nz');
  const bytes = parseXml(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('<a>é</a>')]));
  assert.ok(bytes.ok);
  assert.equal(bytes.root.text, 'é');
});

test('DTDs are refused as soon as they appear: DOCTYPE, ENTITY and any other markup declaration', () => {
  refused('<!DOCTYPE a><a/>', 'dtd', /DOCTYPE/);
  refused('<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', 'dtd', /DOCTYPE.*line 2/);
  refused('<!doctype a><a/>', 'dtd');
  refused('<a><!ENTITY x "y"></a>', 'dtd', /entity declaration/);
  refused('<a><!ELEMENT a ANY></a>', 'dtd', /ELEMENT/);
});

test('only the predefined entities exist: any other reference, or a bare &, is refused', () => {
  refused('<a>&x;</a>', 'malformed', /&x; is not defined/);
  refused('<a>&nbsp;</a>', 'malformed', /&nbsp;/);
  refused('<a>AT&T</a>', 'malformed', /bare '&'/);
  refused('<a b="&foo;"/>', 'malformed', /&foo;/);
  refused('<a>&#0;</a>', 'malformed', /not an XML 1.0 character/);
  refused('<a>&#xD800;</a>', 'malformed', /not an XML 1.0 character/);
  refused('<a>&#x110000;</a>', 'malformed');
});

test('well-formedness: mismatched, unclosed, truncated, two roots, text outside, bad names, duplicate attributes', () => {
  refused('<a><b></a>', 'malformed', /<b> \(line 1\) is closed by <\/a>/);
  refused('<a><b>', 'malformed', /<b> \(line 1\) is not closed \(truncated\?\)/);
  refused('<AttendeeSearchResponse><Attendee><FirstName>Chr', 'malformed', /not closed/);
  refused('<a', 'malformed', /not closed/);
  refused('<a></a><b/>', 'malformed', /second root/);
  refused('<a/>trailing', 'malformed', /text after the root/);
  refused('<a>x < y</a>', 'malformed', /&lt;/);
  refused('<1a/>', 'malformed');
  refused('<a b="1" b="2"/>', 'malformed', /repeated/);
  refused('<a b=1/>', 'malformed', /invalid value/);
  refused('<a b="<"/>', 'malformed');
  refused('<a bc/>', 'malformed', /no value/);
  refused('</a>', 'malformed', /no start tag/);
  refused('<a><!-- open</a>', 'malformed', /comment is not closed/);
  refused('<a><![CDATA[x</a>', 'malformed', /CDATA/);
  refused('<a>]]></a>', 'malformed', /\]\]>/);
  refused('<a><?xml version="1.0"?></a>', 'malformed', /XML declaration/);
  refused('<?xml encoding="utf-8"?><a/>', 'malformed', /version/);
  refused('<?xml version="1.0"', 'malformed');
});

test('not XML at all: empty, plain text, JSON, HTML pages (with or without a doctype), invalid UTF-8, other encodings', () => {
  refused('', 'malformed', /empty/);
  refused('   \n', 'malformed', /empty/);
  refused('Internal Server Error', 'malformed', /starts with "Internal Server Error"/);
  refused('{"error":"x"}', 'malformed');
  refused('<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><hr></body></html>', 'html');
  refused('<html><body><p>Sign in<br></body></html>', 'html');
  refused('<HTML lang="en"><BODY>x</BODY></HTML>', 'html');
  refused('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', 'html');
  refused(new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]), 'malformed', /UTF-8/);
  refused(new TextEncoder().encode('<?xml version="1.0" encoding="ISO-8859-1"?><a/>'), 'malformed', /ISO-8859-1/);
  assert.ok(parseXml(new TextEncoder().encode('<?xml version="1.0" encoding="UTF-8"?><a/>')).ok);
});

test('characters illegal in XML 1.0 are refused when read', () => {
  refused('<a>\u0001</a>', 'malformed', /U\+0001/);
  refused('<a>\uFFFF</a>', 'malformed', /U\+FFFF/);
  refused('<a>\uD800</a>', 'malformed', /U\+D800/);
  assert.ok(parseXml('<a>\t\n\u{1F600}\uE000</a>').ok);
});

test('the size cap counts UTF-8 bytes and is checked before parsing; the depth cap is configurable', () => {
  refused('<a>xxxx</a>', 'too-large', /10-byte limit/, { maxBytes: 10 });
  assert.ok(parseXml('<a>xxx</a>', { maxBytes: 10 }).ok);
  refused('<a>ééé</a>', 'too-large', undefined, { maxBytes: 10 }); // 13 bytes, 10 UTF-16 units
  refused(new Uint8Array(11), 'too-large', /11 bytes/, { maxBytes: 10 });
  refused('<a><b><c/></b></a>', 'too-deep', /more than 2 levels/, { maxDepth: 2 });
  assert.ok(parseXml('<a><b/></a>', { maxDepth: 2 }).ok);
  refused('<a/>', 'invalid', /maxBytes/, { maxBytes: 0 });
});

test('parseXml never throws, whatever it is given', () => {
  for (const input of [null, undefined, 42, {}, [], Symbol('x')] as unknown[]) {
    const result = parseXml(input as string);
    assert.equal(result.ok, false);
  }
});

test('escapeXml escapes & < > " \' and CR, and strips characters XML 1.0 cannot carry', () => {
  assert.equal(escapeXml(`a&b<c>d"e'f`), 'a&amp;b&lt;c&gt;d&quot;e&apos;f');
  assert.equal(escapeXml('x\ry'), 'x&#xD;y');
  assert.equal(escapeXml('a\u0000b\u0008c\u000Bd\u001Fe\uFFFEf\uFFFFg\uD800h'), 'abcdefgh');
  assert.equal(escapeXml('tab\tnl\n\u{1F600}'), 'tab\tnl\n\u{1F600}');
  assert.equal(stripIllegalXmlChars('\u0007ok'), 'ok');
  // What is escaped reads back exactly (CR included).
  const value = `<&>"'\r\n\t x \u{1F600}`;
  const result = parseXml(`<a b="${escapeXml(value)}">${escapeXml(value)}</a>`);
  assert.ok(result.ok);
  assert.equal(result.root.text, value);
});
