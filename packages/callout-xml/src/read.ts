/**
 * Helpers the format readers share: open a document and check its root, find a child, read a leaf's text.
 * They throw `ContractViolation`, which every exported parser's `guard` turns into a failure result.
 *
 * Matching is by local name (a prefix or a default namespace on a connector's answer is tolerated: the spec
 * leaves open whether Concur cares about namespaces in responses). Leaf values are trimmed of XML
 * whitespace: a pretty-printer's indentation inside `<FirstName>` is not part of the name.
 */
import { ContractViolation, quote } from './result.ts';
import { parseXml } from './xml.ts';
import type { XmlElement, XmlParseOptions } from './xml.ts';

/** Parses `input` and checks that its root element is one of `rootNames` (local names). */
export function readDocument(input: string | Uint8Array, options: XmlParseOptions, ...rootNames: string[]): XmlElement {
  const parsed = parseXml(input, options);
  if (!parsed.ok) throw new ContractViolation(parsed.code, parsed.reason);
  if (!rootNames.includes(parsed.root.localName)) {
    throw new ContractViolation('invalid', `the root element is <${parsed.root.name}>, not <${rootNames[0]}>`);
  }
  return parsed.root;
}

/** The children of `parent` named `name`. */
export function childrenNamed(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((child) => child.localName === name);
}

/** The only child named one of `names`, or undefined; two of them are a violation. */
export function singleChild(parent: XmlElement, where: string, ...names: string[]): XmlElement | undefined {
  let found: XmlElement | undefined;
  for (const child of parent.children) {
    if (!names.includes(child.localName)) continue;
    if (found) throw new ContractViolation('invalid', `${where}: <${child.localName}> appears more than once`);
    found = child;
  }
  return found;
}

/** Whether an element is marked `xsi:nil="true"` (any prefix: namespaces are not resolved). */
export function isNil(element: XmlElement): boolean {
  for (const [name, value] of element.attributes) {
    if (name.endsWith(':nil') && (value.trim() === 'true' || value.trim() === '1')) return true;
  }
  return false;
}

/** The text of a leaf element, trimmed of XML whitespace; an element holding elements is a violation. */
export function leafText(element: XmlElement, where: string): string {
  if (element.children.length > 0) {
    throw new ContractViolation('invalid', `${where}: <${element.localName}> must hold text, not elements`);
  }
  return element.text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/** The text of the only child named `name`; `undefined` when there is none. */
export function optionalLeaf(parent: XmlElement, where: string, ...names: string[]): string | undefined {
  const child = singleChild(parent, where, ...names);
  return child === undefined ? undefined : leafText(child, where);
}

/**
 * Reads many leaves of one element: `optionalLeaf(parent, where, name)` for any `name`, with the
 * children indexed in one pass instead of scanned once per name (an attendee has 33 fields).
 */
export function leafReader(parent: XmlElement): (name: string, where: string) => string | undefined {
  // null marks a name that appears more than once: a violation when (and only when) it is read.
  const byName = new Map<string, XmlElement | null>();
  for (const child of parent.children) byName.set(child.localName, byName.has(child.localName) ? null : child);
  return (name, where) => {
    const child = byName.get(name);
    if (child === null) throw new ContractViolation('invalid', `${where}: <${name}> appears more than once`);
    return child === undefined ? undefined : leafText(child, where);
  };
}

/** The text of the only child named `name`, which must be present (it may be empty). */
export function requiredLeaf(parent: XmlElement, where: string, name: string): string {
  const value = optionalLeaf(parent, where, name);
  if (value === undefined) throw new ContractViolation('invalid', `${where}: <${name}> is missing`);
  return value;
}

/** Refuses child elements of `parent` other than `allowed` (used where a stray element means a wrong shape). */
export function onlyChildren(parent: XmlElement, where: string, ...allowed: string[]): void {
  for (const child of parent.children) {
    if (!allowed.includes(child.localName)) {
      throw new ContractViolation('invalid', `${where}: unexpected element <${child.name}> (expected ${allowed.map((name) => `<${name}>`).join(' or ')})`);
    }
  }
}

/** A positive integer written in decimal digits, or a violation naming `what`. */
export function positiveInteger(value: string, where: string, what: string): number {
  const number = /^[0-9]{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new ContractViolation('invalid', `${where}: <${what}> must be a positive integer, not ${quote(value)}`);
  }
  return number;
}
