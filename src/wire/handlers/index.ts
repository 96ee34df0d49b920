import { ApiKeys } from '../protocol'
import type { Handler } from '../server/context'
import { apiVersions } from './api-versions'
import { alterConfigs, describeConfigs, incrementalAlterConfigs } from './configs'
import { describeLogDirs } from './describe-log-dirs'
import { fetch } from './fetch'
import { findCoordinator } from './find-coordinator'
import {
  consumerGroupHeartbeat,
  deleteGroups,
  describeGroups,
  heartbeat,
  joinGroup,
  leaveGroup,
  listGroups,
  offsetCommit,
  offsetFetch,
  syncGroup,
} from './groups'
import { initProducerId } from './init-producer-id'
import { listOffsets } from './list-offsets'
import { metadata } from './metadata'
import { produce } from './produce'
import { saslAuthenticate, saslHandshake } from './sasl'
import { createPartitions, createTopics, deleteRecords, deleteTopics, describeCluster } from './topics'
import { addOffsetsToTxn, addPartitionsToTxn, endTxn, txnOffsetCommit } from './transactions'

/** Every API the server answers, by key. */
export const HANDLERS: ReadonlyMap<number, Handler<never>> = new Map<number, unknown>([
  [ApiKeys.Produce, produce],
  [ApiKeys.Fetch, fetch],
  [ApiKeys.ListOffsets, listOffsets],
  [ApiKeys.Metadata, metadata],
  [ApiKeys.OffsetCommit, offsetCommit],
  [ApiKeys.OffsetFetch, offsetFetch],
  [ApiKeys.FindCoordinator, findCoordinator],
  [ApiKeys.JoinGroup, joinGroup],
  [ApiKeys.Heartbeat, heartbeat],
  [ApiKeys.LeaveGroup, leaveGroup],
  [ApiKeys.SyncGroup, syncGroup],
  [ApiKeys.DescribeGroups, describeGroups],
  [ApiKeys.ListGroups, listGroups],
  [ApiKeys.SaslHandshake, saslHandshake],
  [ApiKeys.ApiVersions, apiVersions],
  [ApiKeys.CreateTopics, createTopics],
  [ApiKeys.DeleteTopics, deleteTopics],
  [ApiKeys.DeleteRecords, deleteRecords],
  [ApiKeys.InitProducerId, initProducerId],
  [ApiKeys.AddPartitionsToTxn, addPartitionsToTxn],
  [ApiKeys.AddOffsetsToTxn, addOffsetsToTxn],
  [ApiKeys.EndTxn, endTxn],
  [ApiKeys.TxnOffsetCommit, txnOffsetCommit],
  [ApiKeys.DescribeConfigs, describeConfigs],
  [ApiKeys.AlterConfigs, alterConfigs],
  [ApiKeys.DescribeLogDirs, describeLogDirs],
  [ApiKeys.SaslAuthenticate, saslAuthenticate],
  [ApiKeys.CreatePartitions, createPartitions],
  [ApiKeys.DeleteGroups, deleteGroups],
  [ApiKeys.IncrementalAlterConfigs, incrementalAlterConfigs],
  [ApiKeys.DescribeCluster, describeCluster],
  [ApiKeys.ConsumerGroupHeartbeat, consumerGroupHeartbeat],
]) as ReadonlyMap<number, Handler<never>>
