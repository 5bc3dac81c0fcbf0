/** Verification service class (PS3.4 Annex A): C-ECHO always succeeds while we are up. */
import { type Command, CommandField, encodeCommand } from '../dimse/command.ts';
import { VERIFICATION_SOP_CLASS } from '../acse/uids.ts';

export function echoResponse(rq: Command): Uint8Array {
  return encodeCommand({
    commandField: CommandField.CEchoRsp,
    messageIdBeingRespondedTo: rq.messageId ?? 0,
    affectedSopClassUid: rq.affectedSopClassUid ?? VERIFICATION_SOP_CLASS,
    hasDataset: false,
    status: 0x0000,
  });
}
