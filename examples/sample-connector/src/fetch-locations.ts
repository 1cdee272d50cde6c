/**
 * The Fetch List handler's search (spec §2) over a connected list: the request names the parent item (its
 * codes by level), the `query` is matched with `*` wildcards against the items' text (`search-by` TEXT) or
 * against their short or full codes (`search-by` CODE: the one-to-one match Concur makes after the user
 * picks an item), and at most `num-to-return` items are answered.
 */
import { fetchListItemCode, fetchListQueryMatches } from '@patchbay/connector-sdk';
import type { FetchListItem, FetchListRequest } from '@patchbay/connector-sdk';
import { LOCATIONS } from './data.ts';
import type { ListNode } from './data.ts';
import { foldText } from './search-attendees.ts';

/** The codes of the parent item, level 1 first: `code-by-level` when sent, else `long-code` split on `-`. */
export function parentCodes(request: Pick<FetchListRequest, 'codeByLevel' | 'longCode'>): string[] | undefined {
  if (request.codeByLevel.length > 0) {
    // Both name the parent: a request where they disagree names no item.
    return request.longCode === '' || request.longCode === request.codeByLevel.join('-') ? [...request.codeByLevel] : undefined;
  }
  return request.longCode === '' ? [] : request.longCode.split('-');
}

/** The children of the parent the request names; `[]` for an unknown parent or a leaf. */
function childrenOf(tree: readonly ListNode[], codes: readonly string[]): readonly ListNode[] {
  let level = tree;
  for (const code of codes) {
    const parent = level.find((item) => item.code.toUpperCase() === code.toUpperCase());
    if (parent === undefined) return [];
    level = parent.children ?? [];
  }
  return level;
}

/** The value of `item` that `query` matches by `searchBy`, or undefined when it does not match. */
function matchValue(request: FetchListRequest, item: ListNode, code: string): string | undefined {
  if (request.searchBy === 'CODE') {
    if (fetchListQueryMatches(request.query, item.code)) return item.code;
    if (fetchListQueryMatches(request.query, code)) return code;
    return undefined;
  }
  // Accents folded on both sides: a user typing "munchen" finds "München".
  return fetchListQueryMatches(foldText(request.query), foldText(item.text)) ? item.text : undefined;
}

/**
 * The items of the level below the request's parent that match its query, sorted by text, at most
 * `numToReturn`. Each `code` is the request's `long-code` + `-` + the item's short code.
 */
export function fetchLocations(request: FetchListRequest, tree: readonly ListNode[] = LOCATIONS): FetchListItem[] {
  const codes = parentCodes(request);
  if (codes === undefined) return [];
  const items: FetchListItem[] = [];
  for (const item of childrenOf(tree, codes)) {
    const code = fetchListItemCode(request.longCode, item.code);
    const matched = matchValue(request, item, code);
    if (matched !== undefined) items.push({ code, shortCode: item.code, text: item.text, matchValue: matched });
  }
  return items.toSorted((a, b) => a.text.localeCompare(b.text, 'en')).slice(0, request.numToReturn);
}
