/** Public surface of scp-core: start the SCP, its configuration, and the protocol codecs clients share. */
export { startScp, type RunningScp, type StartOverrides } from './server/start.ts';
export { loadConfig, helpText, ConfigError, type ScpConfig } from './config/options.ts';
export * from './pdu/index.ts';
export { encodeCommand, decodeCommand, CommandField, type Command } from './dimse/command.ts';
export { VERIFICATION_SOP_CLASS, TransferSyntax, IMPORTABLE_TRANSFER_SYNTAXES, isStorageSopClass } from './acse/uids.ts';
export { SCP_METRICS, METRICS_NAMESPACE, type MetricSpec } from './metrics/catalog.ts';
export { associateRq, acceptedContexts, maxPdvData, cStoreRq, type AssociateParams, type ProposedContext, type AcceptedContext } from './client/requests.ts';
export { Scu, AssociationRejected, AssociationAborted, type ScuOptions } from './client/scu.ts';
export { readPart10Meta, type Part10Meta } from '@storescp/workers/part10-meta';
