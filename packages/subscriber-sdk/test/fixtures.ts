/**
 * Test material for the SDK: throwaway RSA-2048 keys, bodies signed the way Concur's ESS signs them
 * (RSASSA-PSS, SHA-256, MGF1-SHA-256, maximum salt length), and the seed's sample events.
 */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** An RSA key pair and its public key as PEM. */
export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
}

/** A fresh RSA-2048 key pair. */
export function rsaKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

/** `Concur-Signature` of `body`: base64 PSS with the maximum salt length, as ESS signs (or another salt length). */
export function concurSign(privateKey: KeyObject, body: Buffer | string, saltLength: number = constants.RSA_PSS_SALTLEN_MAX_SIGN): string {
  return sign('sha256', Buffer.from(body), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }).toString('base64');
}

/** The seed's first sample event, exactly as the documentation prints it. */
export const SAMPLE_PENDING = `{
  "id":"c19290aa-6eba-4f22-9736-ffc9ddfa8e7b",
  "correlationId":"800832c2-9467-4bb8-9c5b-3977d12975e7",
  "eventType":"statusChange.PENDING.RequestManager",
  "topic":"public.concur.request",
  "timeStamp":"2019-01-04T14:06:07.117Z",
  "data":null,
  "subtopic":null,
  "facts":{
    "companyId":"cef1dee9-c4d9-4bd0-9237-01a3978bfda4",
    "isClosed":"false",
    "isTest":"false",
    "isRecall":"false",
    "recipientId":"55b671dd-ee55-4817-a228-90f5077ec61c",
    "requestId":"LLU9",
    "actingUserId":"ee4a3a2a-2f7a-482c-abd6-82435c9b20c4",
    "id":"61BA94410046F747910760EA925A7CE6",
    "href":"https://emea.api.concursolutions.com/travelrequest/v4/requests/61BA94410046F747910760EA925A7CE6",
    "userId":"6136f053-0cfc-49a4-80d2-e20383c27215",
    "entityId":"p006zecvr9",
    "policyId":"F4C8BD31CA9D4D6292795BE687EB9B2A",
    "status":"PendingRequestManagerApproval",
    "role":"RequestManager",
    "currentApprovalStatus":"Q_PEND",
    "stepCode":"PENDMGRA",
    "isPaymentCardRelated":"true"
  }
}`;

/** The seed's second sample event (approved). */
export const SAMPLE_APPROVED = `{
  "id":"87087aa8-6729-4d8a-804c-85294ab038fc",
  "correlationId":"5ee7f56c-95f8-4bec-8cc4-536161411c74",
  "eventType":"statusChange.APPROVED",
  "topic":"public.concur.request",
  "timeStamp":"2019-01-04T14:06:07.934Z",
  "data":null,
  "subtopic":null,
  "facts":{
    "companyId":"39d88963-dd68-4be2-9a2d-b5843e6247bd",
    "isClosed":"false",
    "isTest":"false",
    "isRecall":"false",
    "requestId":"CN4T",
    "actingUserId":"55b671dd-ee55-4817-a228-90f5077ec61c",
    "id":"E1D6A41596D5B04F87F991E66CFBD3F9",
    "href":"https://emea.api.concursolutions.com/travelrequest/v4/requests/E1D6A41596D5B04F87F991E66CFBD3F9",
    "userId":"6136f053-0cfc-49a4-80d2-e20383c27215",
    "entityId":"p006zecvr9",
    "policyId":"F4C8BD31CA9D4D6292795BE687EB9B2A",
    "status":"APPROVED",
    "role":"",
    "currentApprovalStatus":"",
    "stepCode":"REQAPPR",
    "isPaymentCardRelated":"false"
  }
}`;

/** The seed's third sample event (TMC step, numeric status key). */
export const SAMPLE_TMC = `{
  "id":"5880f720-c615-46bc-82cf-dda4e17801eb",
  "correlationId":"6ca7794c-bd91-44ae-86ac-d0f59e1f38c7",
  "eventType":"statusChange.PENDING.TMC",
  "topic":"public.concur.request",
  "timeStamp":"2019-02-28T12:26:58.049Z",
  "data":null,
  "subtopic":null,
  "facts":{
    "companyId":"39d88963-dd68-4be2-9a2d-b5843e6247bd",
    "isClosed":"false",
    "isTest":"false",
    "isRecall":"false",
    "requestId":"3334",
    "actingUserId":"6136f053-0cfc-49a4-80d2-e20383c27215",
    "id":"E3DB373BA8A52341AFCA01860B4FC9B6",
    "href":"https://emea.api.concursolutions.com/travelrequest/v4/requests/E3DB373BA8A52341AFCA01860B4FC9B6",
    "userId":"6136f053-0cfc-49a4-80d2-e20383c27215",
    "entityId":"p006zecvr9",
    "policyId":"F4C8BD31CA9D4D6292795BE687EB9B2A",
    "status":"PendingTMCApproval",
    "role":"TMC",
    "currentApprovalStatus":"002003",
    "stepCode":"PENDTMCA",
    "isPaymentCardRelated":"false"
  }
}`;

/** A sample event as an object with `changes` applied (a key set to undefined is removed). */
export function sampleWith(changes: Record<string, unknown>, factChanges: Record<string, unknown> = {}): Record<string, unknown> {
  const event = JSON.parse(SAMPLE_PENDING) as Record<string, unknown>;
  const facts = event.facts as Record<string, unknown>;
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete event[key];
    else event[key] = value;
  }
  for (const [key, value] of Object.entries(factChanges)) {
    if (value === undefined) delete facts[key];
    else facts[key] = value;
  }
  return event;
}
