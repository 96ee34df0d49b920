import { InvalidConfigError } from '../../errors'
import type { Assignor } from '../assignor'
import { cooperativeStickyAssignor } from './cooperative-sticky'
import { rangeAssignor } from './range'
import { roundRobinAssignor } from './round-robin'

export { cooperativeStickyAssignor } from './cooperative-sticky'
export { rangeAssignor } from './range'
export { roundRobinAssignor } from './round-robin'
export { compareMembers, sortMembers } from './sort-members'

/**
 * Kafka's protocol names of the built-in assignors (the `partition.assignment.strategy` short names).
 *
 * @example
 * ```ts
 * const name: AssignorName = 'cooperative-sticky'
 * ```
 */
export type AssignorName = 'range' | 'roundrobin' | 'cooperative-sticky'

const BY_NAME: Readonly<Record<AssignorName, Assignor>> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
}

/**
 * The built-in assignor with Kafka's protocol name `name`. Throws {@link InvalidConfigError} (field
 * `assignor`) for any other name, since callers from plain JavaScript or config files are not type-checked.
 *
 * @example
 * ```ts
 * const consumer = bus.consumer({ groupId: 'billing', topics: ['orders'], assignor: assignorByName('range') })
 * ```
 */
export function assignorByName(name: AssignorName): Assignor {
  const assignor = Object.hasOwn(BY_NAME, name) ? BY_NAME[name] : undefined
  if (assignor === undefined) {
    throw new InvalidConfigError(
      'assignor',
      `unknown assignor "${String(name)}"; expected one of ${Object.keys(BY_NAME).join(', ')}`,
    )
  }
  return assignor
}
