import { diag } from '@opentelemetry/api';
import type { ScrapeResult, Scraper } from '../scrape/scraper.js';
import type { RecordSink } from './sink.js';

export interface RecorderOptions {
  scraper: Scraper;
  sinks: RecordSink[];
  /** Called after each round was handed to every sink. */
  onRound?: (results: ScrapeResult[], sinkErrors: { sink: string; error: unknown }[]) => void;
}

/**
 * Drives a scraper into sinks. `stop()` lets the round in flight finish and be
 * written, then closes every sink: call it from SIGINT/SIGTERM handlers.
 */
export class Recorder {
  /** Rounds written to every sink without error. */
  rounds = 0;
  sinkErrors = 0;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: RecorderOptions) {}

  start(): void {
    this.options.scraper.start(async (results) => {
      const errors: { sink: string; error: unknown }[] = [];
      for (const sink of this.options.sinks) {
        try {
          await sink.write(results);
        } catch (error) {
          this.sinkErrors++;
          errors.push({ sink: sink.name, error });
          diag.error(`tokenmeter scrape: sink ${sink.name} failed to write`, error);
        }
      }
      if (errors.length === 0) this.rounds++;
      this.options.onRound?.(results, errors);
    });
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await this.options.scraper.stop();
      for (const sink of this.options.sinks) {
        try {
          await sink.close();
        } catch (error) {
          diag.error(`tokenmeter scrape: sink ${sink.name} failed to close`, error);
        }
      }
    })();
    return this.stopped;
  }
}
