/**
 * The Standard Schema interface (standardschema.dev, v1): the one method that zod (3.24+ and 4),
 * valibot (1+), arktype (2+) and other validators expose under `~standard`. Declared here, types only,
 * so that logbus accepts any of them without depending on one.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const schema: StandardSchemaV1<unknown, { id: number }> = z.object({ id: z.number() })
 * ```
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (
      value: unknown,
    ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

/**
 * What a Standard Schema's `validate` returns: the output value, or the issues.
 *
 * @example
 * ```ts
 * const result: StandardSchemaResult<number> = { value: 1 }
 * ```
 */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> }

/**
 * One problem a Standard Schema found, with the path to the offending field.
 *
 * @example
 * ```ts
 * const issue: StandardSchemaIssue = { message: 'Expected number', path: ['total'] }
 * ```
 */
export interface StandardSchemaIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/**
 * The input type of a Standard Schema.
 *
 * @example
 * ```ts
 * type OrderInput = SchemaInput<typeof Order>
 * ```
 */
export type SchemaInput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['input']

/**
 * The output type of a Standard Schema.
 *
 * @example
 * ```ts
 * type Order = SchemaOutput<typeof Order>
 * ```
 */
export type SchemaOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output']
