/**
 * Prometheus unit words → UCUM, the unit syntax OpenTelemetry uses. Only exact,
 * unambiguous words are mapped; anything else is passed through as written.
 */
const WORD_TO_UCUM: Record<string, string> = {
  seconds: 's',
  milliseconds: 'ms',
  microseconds: 'us',
  nanoseconds: 'ns',
  minutes: 'min',
  hours: 'h',
  days: 'd',
  bytes: 'By',
  kibibytes: 'KiBy',
  mebibytes: 'MiBy',
  gibibytes: 'GiBy',
  ratio: '1',
  percent: '%',
  celsius: 'Cel',
  joules: 'J',
  watts: 'W',
  meters: 'm',
  volts: 'V',
  amperes: 'A',
  grams: 'g',
  hertz: 'Hz',
};

// Name suffixes that state a unit even without `# UNIT` (Prometheus naming practice).
const SUFFIX_UNITS: [RegExp, string][] = [
  [/_seconds(?:_total)?$/, 's'],
  [/_bytes(?:_total)?$/, 'By'],
  [/_joules(?:_total)?$/, 'J'],
  [/_watts$/, 'W'],
  [/_celsius$/, 'Cel'],
  [/_ratio$/, '1'],
  [/_tokens(?:_total)?$/, '{token}'],
];

/** The UCUM unit of a family, from `# UNIT` or else from its name suffix; `''` when unknown. */
export function ucumUnit(familyName: string, unit: string | undefined): string {
  if (unit) return WORD_TO_UCUM[unit] ?? unit;
  for (const [re, u] of SUFFIX_UNITS) if (re.test(familyName)) return u;
  return '';
}
