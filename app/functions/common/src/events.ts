import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Powertools } from './powertools';
import type { FunctionSettings } from './settings';

/** A business event: what happened (`detailType`) and its data. */
export interface BusinessEvent {
  readonly detailType: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Where business events go. */
export interface EventPublisher {
  publish(events: readonly BusinessEvent[]): Promise<void>;
}

/**
 * Publishes to an EventBridge bus, 10 entries a call (the API's limit), and fails when any entry
 * is refused so that the caller can retry the work item.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly source: string,
  ) {}

  async publish(events: readonly BusinessEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10);
      const result = await this.client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            EventBusName: this.busName,
            Source: this.source,
            DetailType: e.detailType,
            Detail: JSON.stringify(e.detail),
          })),
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const reasons = (result.Entries ?? [])
          .filter((e) => e.ErrorCode)
          .map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
        throw new Error(`EventBridge refused ${result.FailedEntryCount} event(s): ${reasons.join('; ')}`);
      }
    }
  }
}

/**
 * For local runs without AWS (`npm run invoke`): writes each event to the log instead, saying so.
 */
export class LogPublisher implements EventPublisher {
  constructor(private readonly logger: Logger) {}

  async publish(events: readonly BusinessEvent[]): Promise<void> {
    for (const e of events) {
      this.logger.info('event not sent (EVENT_BUS_NAME is not set): logged instead', {
        detailType: e.detailType,
        detail: e.detail,
      });
    }
  }
}

/** The settings that choose the publisher. */
export type EventSettings = Pick<FunctionSettings, 'EVENT_BUS_NAME' | 'EVENT_SOURCE'>;

/**
 * The publisher the settings ask for: EventBridge when `EVENT_BUS_NAME` is set (source
 * `EVENT_SOURCE`), the log otherwise.
 */
export function publisherFor(
  settings: EventSettings,
  logger: Logger,
  client?: EventBridgeClient,
): EventPublisher {
  if (!settings.EVENT_BUS_NAME) {
    return new LogPublisher(logger);
  }
  return new EventBridgePublisher(
    client ?? new EventBridgeClient({}),
    settings.EVENT_BUS_NAME,
    settings.EVENT_SOURCE,
  );
}

/** The function's publisher, its EventBridge client traced through X-Ray. */
export function tracedPublisher(tools: Powertools, settings: EventSettings): EventPublisher {
  return publisherFor(settings, tools.logger, tools.tracer.captureAWSv3Client(new EventBridgeClient({})));
}
