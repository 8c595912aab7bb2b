import type { GpuDeviceSample, IoDirection } from './gpu-types.js';
import { NVML, NvmlField, NvmlValueType } from './nvml-bindings.js';
import { NvmlReturn } from './nvml-errors.js';
import type { NvmlReader } from './nvml-reader.js';

const KIB = 1024;

interface FieldRequest {
  id: number;
  scope?: number;
}

/** One nvmlDeviceGetFieldValues call per device covers all of these. */
const REQUESTS: readonly FieldRequest[] = [
  { id: NvmlField.MEMORY_TEMP },
  { id: NvmlField.PCIE_COUNT_TX_BYTES },
  { id: NvmlField.PCIE_COUNT_RX_BYTES },
  { id: NvmlField.NVLINK_THROUGHPUT_DATA_TX, scope: NVML.SCOPE_ALL_LINKS },
  { id: NvmlField.NVLINK_THROUGHPUT_DATA_RX, scope: NVML.SCOPE_ALL_LINKS },
];

/** What one nvmlFieldValue_t holds once its tag is applied. */
export interface FieldValue {
  rc: number;
  valueType: number;
  value: number;
}

/** Decodes nvmlFieldValue_t entry `i` of `buf` (offsets from nvml.h, 40 bytes each). */
export function decodeFieldValue(buf: Buffer, i: number): FieldValue {
  const off = i * NVML.FIELD_VALUE_SIZE;
  const valueType = buf.readUInt32LE(off + 24);
  const rc = buf.readInt32LE(off + 28);
  const v = off + 32;
  let value: number;
  switch (valueType) {
    case NvmlValueType.DOUBLE:
      value = buf.readDoubleLE(v);
      break;
    case NvmlValueType.UNSIGNED_INT:
      value = buf.readUInt32LE(v);
      break;
    case NvmlValueType.UNSIGNED_LONG: // 64-bit on the LP64 ABIs NVML ships for
    case NvmlValueType.UNSIGNED_LONG_LONG:
      value = Number(buf.readBigUInt64LE(v));
      break;
    case NvmlValueType.SIGNED_LONG_LONG:
      value = Number(buf.readBigInt64LE(v));
      break;
    case NvmlValueType.SIGNED_INT:
      value = buf.readInt32LE(v);
      break;
    case NvmlValueType.UNSIGNED_SHORT:
      value = buf.readUInt16LE(v);
      break;
    default:
      value = Number.NaN;
  }
  return { rc, valueType, value };
}

function is64Bit(valueType: number): boolean {
  return (
    valueType === NvmlValueType.UNSIGNED_LONG ||
    valueType === NvmlValueType.UNSIGNED_LONG_LONG ||
    valueType === NvmlValueType.SIGNED_LONG_LONG
  );
}

/**
 * Memory temperature, PCIe byte counters and NVLink data counters in one
 * nvmlDeviceGetFieldValues call. Each entry carries its own return code, so a
 * GPU without HBM or NVLink simply has those entries NOT_SUPPORTED.
 */
export async function readFieldValues(reader: NvmlReader, sample: GpuDeviceSample, dev: unknown) {
  const fn = reader.lib.fns.nvmlDeviceGetFieldValues;
  const fields = ['temperature.memory', 'pcie.io', 'nvlink.io'];
  if (!fn) {
    sample.unsupported.push(...fields);
    return;
  }
  const buf = Buffer.alloc(REQUESTS.length * NVML.FIELD_VALUE_SIZE);
  REQUESTS.forEach((r, i) => {
    buf.writeUInt32LE(r.id, i * NVML.FIELD_VALUE_SIZE);
    buf.writeUInt32LE(r.scope ?? 0, i * NVML.FIELD_VALUE_SIZE + 4);
  });
  const rc = await reader.call(fn, dev, REQUESTS.length, buf);
  if (rc !== NvmlReturn.SUCCESS) {
    for (const field of fields) reader.settle(sample, field, rc);
    return;
  }
  const [memTemp, pcieTx, pcieRx, nvTx, nvRx] = REQUESTS.map((_, i) => decodeFieldValue(buf, i)) as [
    FieldValue,
    FieldValue,
    FieldValue,
    FieldValue,
    FieldValue,
  ];
  if (reader.settle(sample, 'temperature.memory', memTemp.rc) && Number.isFinite(memTemp.value)) {
    sample.temperatures.memory = memTemp.value;
  }
  const pcie = pair(reader, sample, 'pcie.io', pcieTx, pcieRx, 1);
  if (pcie) sample.pcieBytes = pcie;
  const nvlink = pair(reader, sample, 'nvlink.io', nvTx, nvRx, KIB);
  if (nvlink) sample.nvlinkBytes = nvlink;
}

/**
 * A transmit/receive pair of cumulative counters. Only 64-bit values are
 * taken: nvml.h warns the PCIe counters "can be wrapped", and a 32-bit byte
 * counter at PCIe speed wraps several times between two sweeps, which no
 * backend could tell from a reset.
 */
function pair(
  reader: NvmlReader,
  sample: GpuDeviceSample,
  field: string,
  tx: FieldValue,
  rx: FieldValue,
  scale: number,
): Partial<Record<IoDirection, number>> | undefined {
  const rc = tx.rc !== NvmlReturn.SUCCESS ? tx.rc : rx.rc;
  if (!reader.settle(sample, field, rc)) return undefined;
  if (!is64Bit(tx.valueType) || !is64Bit(rx.valueType)) {
    sample.unsupported.push(`${field} (32-bit counter)`);
    return undefined;
  }
  return { transmit: tx.value * scale, receive: rx.value * scale };
}
