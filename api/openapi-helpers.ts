/** Building blocks for the OpenAPI document, from zod schemas (one source of truth). */
import { z } from 'zod';
import { problem } from './schemas/common';

type Schema = z.ZodType;

export const jsonSchema = (schema: Schema, io: 'input' | 'output' = 'input') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

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
