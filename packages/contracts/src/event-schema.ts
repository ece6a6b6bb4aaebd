export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** The JSON of an event's top-level Avro record, as written in its .avsc file. */
export interface AvroRecordSchema {
  readonly type: "record";
  readonly name: string;
  readonly namespace: string;
  readonly doc: string;
  readonly fields: readonly JsonValue[];
}

export interface EventSchema<T extends string = string> {
  readonly eventType: T;
  /** Full Avro name, e.g. `stocksaga.order.OrderRequested`; the registry subject ends with it. */
  readonly recordName: string;
  /** The .avsc file it was generated from, relative to the repository root. */
  readonly source: string;
  readonly schema: AvroRecordSchema;
}
