import type { GpuDeviceSample } from './gpu-types.js';

/** nvmlClocksEventReasons bits (nvml.h), by the value of `tokenmeter.gpu.clock.throttle.reason`. */
export const THROTTLE_REASONS = {
  gpu_idle: 0x1,
  applications_clocks_setting: 0x2,
  sw_power_cap: 0x4,
  hw_slowdown: 0x8,
  sync_boost: 0x10,
  sw_thermal_slowdown: 0x20,
  hw_thermal_slowdown: 0x40,
  hw_power_brake_slowdown: 0x80,
  display_clock_setting: 0x100,
} as const;

export type ThrottleReason = keyof typeof THROTTLE_REASONS;

/**
 * Reasons meaning the GPU runs slower than it should (overheating, a power
 * brake, an external slowdown signal). Power capping, idling and clock
 * settings are normal operation.
 */
const DEGRADING_REASONS =
  THROTTLE_REASONS.hw_slowdown |
  THROTTLE_REASONS.sw_thermal_slowdown |
  THROTTLE_REASONS.hw_thermal_slowdown |
  THROTTLE_REASONS.hw_power_brake_slowdown;

/** `hw.state` values we derive; `predicted_failure` would need a predictor we do not have. */
export const GPU_STATES = ['ok', 'degraded', 'failed'] as const;
export type GpuState = (typeof GPU_STATES)[number];

/**
 * failed: the GPU was read before and is now lost. degraded: a thermal or
 * hardware slowdown is active, or an uncorrected ECC error happened since
 * the driver loaded (the memory holding it stays suspect until a reset).
 */
export function gpuState(d: GpuDeviceSample): GpuState {
  if (d.failed) return 'failed';
  if (d.clockEventReasons !== undefined && (d.clockEventReasons & DEGRADING_REASONS) !== 0) return 'degraded';
  if ((d.eccErrors?.uncorrected ?? 0) > 0) return 'degraded';
  return 'ok';
}
