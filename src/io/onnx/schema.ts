/**
 * The part of ONNX's protobuf schema (onnx/onnx.proto, proto2, package `onnx`) an exported classifier needs:
 * ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto(.Tensor),
 * TensorShapeProto(.Dimension), OperatorSetIdProto, StringStringEntryProto. Field numbers and types are ONNX's;
 * the wire encoding is protobufjs's (a maintained protobuf library), from this JSON descriptor.
 * Not here: sparse tensors, sequences and maps, training info, functions, external data; fields we never write
 * are left out (a reader skips unknown fields, so decoding a full ONNX file with this subset still works).
 */
import protobuf from 'protobufjs/light.js';

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;
/** AttributeProto.AttributeType values used here. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

type Field = { type: string; id: number; rule?: 'repeated'; options?: { packed: boolean } };
const f = (type: string, id: number): Field => ({ type, id });
const many = (type: string, id: number): Field => ({ type, id, rule: 'repeated' });
/** proto2 repeated scalars are unpacked unless `[packed = true]`; ONNX marks TensorProto's data arrays packed */
const packed = (type: string, id: number): Field => ({ type, id, rule: 'repeated', options: { packed: true } });
const unpacked = (type: string, id: number): Field => ({ type, id, rule: 'repeated', options: { packed: false } });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: f('int64', 1), opsetImport: many('OperatorSetIdProto', 8), producerName: f('string', 2),
            producerVersion: f('string', 3), domain: f('string', 4), modelVersion: f('int64', 5), docString: f('string', 6),
            graph: f('GraphProto', 7), metadataProps: many('StringStringEntryProto', 14),
          },
        },
        StringStringEntryProto: { fields: { key: f('string', 1), value: f('string', 2) } },
        OperatorSetIdProto: { fields: { domain: f('string', 1), version: f('int64', 2) } },
        GraphProto: {
          fields: {
            node: many('NodeProto', 1), name: f('string', 2), initializer: many('TensorProto', 5), docString: f('string', 10),
            input: many('ValueInfoProto', 11), output: many('ValueInfoProto', 12), valueInfo: many('ValueInfoProto', 13),
          },
        },
        NodeProto: {
          fields: {
            input: many('string', 1), output: many('string', 2), name: f('string', 3), opType: f('string', 4),
            domain: f('string', 7), attribute: many('AttributeProto', 5), docString: f('string', 6),
          },
        },
        AttributeProto: {
          fields: {
            name: f('string', 1), docString: f('string', 13), type: f('int32', 20), f: f('float', 2), i: f('int64', 3),
            s: f('bytes', 4), t: f('TensorProto', 5), floats: unpacked('float', 7), ints: unpacked('int64', 8), strings: many('bytes', 9),
          },
        },
        TensorProto: {
          fields: {
            dims: unpacked('int64', 1), dataType: f('int32', 2), floatData: packed('float', 4), int32Data: packed('int32', 5),
            int64Data: packed('int64', 7), name: f('string', 8), docString: f('string', 12), rawData: f('bytes', 9),
          },
        },
        ValueInfoProto: { fields: { name: f('string', 1), type: f('TypeProto', 2), docString: f('string', 3) } },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType'] } },
          fields: { tensorType: f('TypeProtoTensor', 1), denotation: f('string', 6) },
        },
        // TypeProto.Tensor (a nested message in onnx.proto; a flat name here, same wire format)
        TypeProtoTensor: { fields: { elemType: f('int32', 1), shape: f('TensorShapeProto', 2) } },
        TensorShapeProto: { fields: { dim: many('Dimension', 1) } },
        // TensorShapeProto.Dimension
        Dimension: {
          oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
          fields: { dimValue: f('int64', 1), dimParam: f('string', 2), denotation: f('string', 3) },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);

/** protobufjs message types of the subset, by ONNX name. */
export const ModelProto = root.lookupType('onnx.ModelProto');

// Plain-object shapes of the messages as this module writes them (int64 fields as numbers).
export interface Dim { dimValue?: number; dimParam?: string }
export interface ValueInfo { name: string; type: { tensorType: { elemType: number; shape: { dim: Dim[] } } } }
export interface Attribute { name: string; type: number; f?: number; i?: number; s?: Uint8Array; floats?: number[]; ints?: number[] }
export interface TensorMsg { name: string; dims: number[]; dataType: number; rawData: Uint8Array }
export interface NodeMsg { name: string; opType: string; input: string[]; output: string[]; attribute: Attribute[] }
export interface GraphMsg { name: string; node: NodeMsg[]; initializer: TensorMsg[]; input: ValueInfo[]; output: ValueInfo[] }
export interface ModelMsg {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: GraphMsg;
  metadataProps: { key: string; value: string }[];
}

/** Serialises a model (throws with the field at fault when the object does not fit the schema). */
export function encodeModel(m: ModelMsg): Uint8Array {
  const err = ModelProto.verify(m);
  if (err !== null) throw new Error(`onnx: model does not fit the schema: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}

/** Parses an ONNX file's bytes into plain objects (int64 as numbers, bytes as Uint8Array); unknown fields are skipped. */
export function decodeModel(bytes: Uint8Array): ModelMsg {
  let msg: protobuf.Message;
  try {
    msg = ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`onnx: not a readable ONNX model (${(e as Error).message})`);
  }
  // bytes fields stay Uint8Array (no `bytes` conversion option)
  return ModelProto.toObject(msg, { longs: Number, defaults: false, arrays: true }) as ModelMsg;
}
