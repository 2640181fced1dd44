/** Building blocks for the OpenAPI document, from zod schemas (one source of truth). */
import { z } from 'zod';
import { problem } from './schemas/common';

type Schema = z.ZodType;

/**
 * Named schemas (zod `.meta({ id })`) land here and are served as
 * `components.schemas`; references point there, so they resolve from the top
 * of the document.
 */
export const componentSchemas: Record<string, unknown> = {};

const toComponents = <T>(s: T): T => JSON.parse(JSON.stringify(s).replaceAll('"#/$defs/', '"#/components/schemas/'));

export function jsonSchema(schema: Schema, io: 'input' | 'output' = 'input') {
  const { $schema: _schema, $defs, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  Object.assign(componentSchemas, toComponents($defs ?? {}));
  return toComponents(rest);
}

export const json = (schema: Schema, io: 'input' | 'output') => ({ 'application/json': { schema: jsonSchema(schema, io) } });

export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: jsonSchema(problem, 'output') } },
});

export function pathParams(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, s]) => ({ name, in: 'path', required: true, schema: jsonSchema(s as Schema) }));
}

export function queryParams(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, s]) => ({
    name,
    in: 'query',
    required: !(s as Schema).safeParse(undefined).success,
    schema: jsonSchema(s as Schema),
  }));
}
