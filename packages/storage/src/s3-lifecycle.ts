import { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand } from '@aws-sdk/client-s3';
import type { LifecycleRule, S3Client } from '@aws-sdk/client-s3';

/** One expiry rule: objects under `prefix` are deleted by S3 `days` after they were written. */
export interface ExpiryRule {
  /** Rule id; rules with ids starting with "mediaflow-" are ours and replaced, others kept. */
  id: string;
  prefix: string;
  /** Whole days, at least 1 (S3's unit). */
  days: number;
}

const OUR_RULES = 'mediaflow-';

/**
 * Puts expiry rules on a bucket, keeping any rule of the operator's.
 * PutBucketLifecycleConfiguration replaces the whole configuration, so the
 * current one is read first and our earlier rules are replaced by these.
 * Incomplete multipart uploads under each prefix are aborted after the same days.
 *
 * @throws the SDK's error when the server refuses (versitygw and some other
 *   S3-compatible servers do not implement lifecycle): the caller decides
 *   whether that matters.
 */
export async function putExpiryRules(client: S3Client, bucket: string, rules: readonly ExpiryRule[]): Promise<void> {
  let existing: LifecycleRule[] = [];
  try {
    const current = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    existing = current.Rules ?? [];
  } catch (error) {
    // No configuration yet is the usual case, not a failure.
    if (!(error instanceof Error && error.name === 'NoSuchLifecycleConfiguration')) throw error;
  }
  const kept = existing.filter((rule) => !(rule.ID ?? '').startsWith(OUR_RULES));
  const ours: LifecycleRule[] = rules.map((rule) => ({
    ID: rule.id.startsWith(OUR_RULES) ? rule.id : `${OUR_RULES}${rule.id}`,
    Status: 'Enabled',
    Filter: { Prefix: rule.prefix },
    Expiration: { Days: Math.max(1, Math.ceil(rule.days)) },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: Math.max(1, Math.ceil(rule.days)) },
  }));
  await client.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: { Rules: [...kept, ...ours] },
    }),
  );
}
