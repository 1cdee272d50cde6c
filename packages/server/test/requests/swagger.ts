/**
 * Validates Request v4 answers against Concur's reference swagger
 * (`/work/shared/reference/ConcurRequest.swagger2.json`, or PATCHBAY_REQUEST_SWAGGER): the answer's
 * method, path and status select the documented response schema, and a small validator for the
 * swagger 2 subset the file uses checks the body. Types are strict (no nulls: swagger 2 has no
 * nullable without `x-nullable`); unknown properties are allowed because the file declares no
 * `additionalProperties` on these definitions. An error status that the file does not document must
 * still answer with Concur's `ErrorResponse`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Answer } from '../support/request-fixtures.ts';

/** Where the reference file is. */
export const SWAGGER_FILE = process.env.PATCHBAY_REQUEST_SWAGGER ?? '/work/shared/reference/ConcurRequest.swagger2.json';

/** A swagger 2 schema object (the subset the reference file uses). */
export type Schema = Record<string, any>;

interface Swagger {
  basePath: string;
  paths: Record<string, Record<string, { responses: Record<string, { schema?: Schema }> }>>;
  definitions: Record<string, Schema>;
}

const swagger = JSON.parse(readFileSync(SWAGGER_FILE, 'utf8')) as Swagger;

/** Keywords the validator understands; any other keyword in a schema it meets fails loudly. */
const KNOWN = new Set(['type', 'properties', 'items', '$ref', 'enum', 'required', 'description', 'example', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'format', 'additionalProperties', 'title', 'default']);

/** A definition of the reference file, by name. */
export function definition(name: string): Schema {
  const schema = swagger.definitions[name];
  if (!schema) throw new Error(`The swagger has no definition ${name}`);
  return schema;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Every violation of `schema` by `value`, as "path: problem" lines. */
export function validate(schema: Schema, value: unknown, at = '$'): string[] {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`${at}: the validator does not know the keyword ${key}`);
  if (schema.$ref !== undefined) {
    const match = /^#\/definitions\/(.+)$/.exec(schema.$ref as string);
    if (!match) throw new Error(`${at}: unsupported $ref ${schema.$ref}`);
    // Keywords beside $ref (the file has `"type": "object"` beside some) must hold as well.
    const { $ref: _ref, ...rest } = schema;
    return [...validate(definition(match[1]!), value, at), ...validate(rest, value, at)];
  }
  const errors: string[] = [];
  const type = schema.type as string | undefined;
  const actual = typeOf(value);
  if (type !== undefined) {
    const ok =
      type === 'integer' ? actual === 'number' && Number.isInteger(value) : type === 'number' ? actual === 'number' && Number.isFinite(value) : type === actual;
    if (!ok) return [`${at}: expected ${type}, got ${actual} ${JSON.stringify(value)?.slice(0, 80)}`];
  }
  if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    // Swagger 2 (JSON Schema draft 4): exclusiveMinimum/Maximum are booleans modifying minimum/maximum.
    if (schema.minimum !== undefined && (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum)) errors.push(`${at}: ${value} is below the minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum)) errors.push(`${at}: ${value} is above the maximum ${schema.maximum}`);
    if (schema.format === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31)) errors.push(`${at}: ${value} is not an int32`);
  }
  if (actual === 'object' && (type === 'object' || schema.properties !== undefined)) {
    const object = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? []) if (!(name in object)) errors.push(`${at}: the required property ${name} is missing`);
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [name, child] of Object.entries(object)) {
      if (properties[name]) errors.push(...validate(properties[name], child, `${at}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: unexpected property ${name}`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties as Schema, child, `${at}.${name}`));
    }
  }
  if (actual === 'array' && schema.items !== undefined) (value as unknown[]).forEach((item, index) => errors.push(...validate(schema.items as Schema, item, `${at}[${index}]`)));
  return errors;
}

const templates = Object.keys(swagger.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  params: (template.match(/\{/g) ?? []).length,
}));

/** The swagger path template an answer's URL matches for its method (literal segments win). */
export function templateFor(method: string, url: string): string | null {
  const path = new URL(url, 'http://x').pathname.slice(swagger.basePath.length);
  const candidates = templates.filter((t) => t.pattern.test(path) && swagger.paths[t.template]![method.toLowerCase()]).sort((a, b) => a.params - b.params);
  return candidates[0]?.template ?? null;
}

/** The schema the swagger documents for `status` of `method url`. */
export function responseSchema(method: string, url: string, status: number): { schema: Schema | null; where: string } {
  const template = templateFor(method, url);
  if (!template) throw new Error(`${method} ${url} is not an operation of the swagger`);
  const responses = swagger.paths[template]![method.toLowerCase()]!.responses;
  const documented = responses[String(status)];
  const where = `${method} ${template} ${status}`;
  if (documented?.schema) return { schema: documented.schema, where };
  if (status >= 400) return { schema: definition('ErrorResponse'), where: `${where} (ErrorResponse)` };
  if (documented) return { schema: null, where };
  throw new Error(`${where} is not a status the swagger documents (documented: ${Object.keys(responses).join(', ')})`);
}

/**
 * Asserts the answer's body matches the swagger; error answers must also be Concur's shape
 * `{"errors":[{"errorCode","errorMessage"}]}` with non-empty strings.
 */
export function assertSwagger(answer: Answer): void {
  const shown = `${answer.method} ${answer.url} -> ${answer.status} ${answer.text.slice(0, 600)}`;
  const { schema, where } = responseSchema(answer.method, answer.url, answer.status);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, `${shown}: not JSON`);
  if (schema) {
    const errors = validate(schema, answer.body);
    assert.deepEqual(errors, [], `${shown}\ndoes not match the swagger's ${where}:\n${errors.join('\n')}`);
  }
  if (answer.status >= 400) {
    assert.ok(Array.isArray(answer.body?.errors) && answer.body.errors.length > 0, `${shown}: not Concur's error shape`);
    for (const error of answer.body.errors) {
      assert.deepEqual(Object.keys(error).sort(), ['errorCode', 'errorMessage'], shown);
      assert.ok(typeof error.errorCode === 'string' && error.errorCode.length > 0, shown);
      assert.ok(typeof error.errorMessage === 'string' && error.errorMessage.length > 0, shown);
    }
  }
}

/** Asserts `answer` is a Concur error with `status` and (when given) `errorCode`. */
export function assertConcurError(answer: Answer, status: number, errorCode?: string | RegExp): void {
  const shown = `${answer.method} ${answer.url} -> ${answer.status} ${answer.text.slice(0, 600)}`;
  assert.equal(answer.status, status, shown);
  assert.ok(Array.isArray(answer.body?.errors) && answer.body.errors.length === 1, shown);
  const code = answer.body.errors[0].errorCode as string;
  if (typeof errorCode === 'string') assert.equal(code, errorCode, shown);
  else if (errorCode) assert.match(code, errorCode, shown);
}
