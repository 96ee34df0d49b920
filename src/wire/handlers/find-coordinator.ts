import { KafkaErrors } from '../protocol'
import { allowed, type Handler, type RequestContext } from '../server/context'

const GROUP = 0
const TRANSACTION = 1

/** FindCoordinator: one broker is every group's and every transactional id's coordinator. */
export const findCoordinator: Handler<10> = (body, context) => {
  const { nodeId, host, port } = context.broker
  if (context.apiVersion >= 4) {
    return {
      coordinators: body.coordinatorKeys.map((key) => {
        const errorCode = check(context, body.keyType, key)
        return {
          key,
          nodeId: errorCode === 0 ? nodeId : -1,
          host: errorCode === 0 ? host : '',
          port: errorCode === 0 ? port : -1,
          errorCode,
          errorMessage: null,
        }
      }),
    }
  }
  const errorCode = check(context, body.keyType, body.key)
  if (errorCode !== 0) return { errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 }
  return { errorCode: 0, errorMessage: null, nodeId, host, port }
}

function check(context: RequestContext, keyType: number, key: string): number {
  if (keyType === GROUP) {
    return allowed(context, 'group', key, 'describe') ? 0 : KafkaErrors.GROUP_AUTHORIZATION_FAILED
  }
  if (keyType === TRANSACTION) {
    return allowed(context, 'transactionalId', key, 'describe')
      ? 0
      : KafkaErrors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
  }
  return KafkaErrors.INVALID_REQUEST
}
