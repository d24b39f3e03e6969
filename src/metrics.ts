// The service's CloudWatch metrics (Powertools Metrics): written to the log in Embedded Metric
// Format, so CloudWatch extracts them without any IAM grant; serverless.yml alarms on them.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RestoreOutcome, TransferRecord } from './types.js';

/** The namespace every metric of the service is in (serverless.yml's alarms name it too). */
export const METRICS_NAMESPACE = 'CertificateTransfer';

/** Metric names (contract: the stack's alarms and operators' dashboards use them). */
export const Metric = {
  /** A transfer ended RESTORE_FAILED: a certificate is not whole and waits for a repair. Alarmed. */
  RestoreFailed: 'RestoreFailed',
  /** A RESTORE_FAILED transfer was repaired. */
  RestoreRepaired: 'RestoreRepaired',
} as const;

// Created once per cold start; the service dimension comes from POWERTOOLS_SERVICE_NAME.
const metrics = new Metrics({ namespace: METRICS_NAMESPACE });

type Subject = Pick<TransferRecord, 'transferId' | 'certificateId'> & { restore?: RestoreOutcome };

/**
 * Emits one metric at once (one EMF line), with the transfer and certificate as
 * metadata: searchable in the log, not dimensions, so the alarm sees one series.
 */
function emit(name: string, subject: Subject): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.addMetadata('transferId', subject.transferId);
  metrics.addMetadata('certificateId', subject.certificateId);
  if (subject.restore) metrics.addMetadata('restoreStatus', subject.restore.status);
  metrics.publishStoredMetrics();
}

export function countRestoreFailed(subject: Subject): void {
  emit(Metric.RestoreFailed, subject);
}

export function countRestoreRepaired(subject: Subject): void {
  emit(Metric.RestoreRepaired, subject);
}
