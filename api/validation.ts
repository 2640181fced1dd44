/** Request validation with the same zod schemas the OpenAPI document is generated from. */
import type { z } from 'zod';
import { badRequest, type FieldError } from './errors';

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: path ? `${path}.${key}` : key, message: 'unknown field' }));
    }
    return [{ field: path || '(body)', message: issue.message }];
  });
}

export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path' = 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(`the request ${where} is invalid`, fieldErrors(result.error));
  return result.data;
}
