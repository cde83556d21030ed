import type { ChatShape, FlowDiffAnswer, FlowInputSpec, PublishAnswer } from '@flowloom/nodes/spec';
import { useCallback, useEffect, useState } from 'react';
import { type PublishedSummary, publishApi } from './api';
import { describePublishError, type PublishErrorView } from './errors';

/** The longest run a published version may allow (the API's 3,600,000 ms). */
export const MAX_TIMEOUT_SECONDS = 3600;

function parseOrigins(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

/** The publish form as typed: the settings start from the newest version's. */
export interface PublishForm {
  note: string;
  /** One origin per line (or comma separated). */
  origins: string;
  timeoutSec: string;
}

/**
 * What the publish dialog shows and does for one flow: its versions and inputs, the form, the last publish answer,
 * the diff on show, the error of the last action; publish (after `beforePublish`), roll back, diff.
 */
export function usePublishing(flowId: string, beforePublish?: () => Promise<unknown>) {
  const [versions, setVersions] = useState<PublishedSummary[]>([]);
  const [inputs, setInputs] = useState<FlowInputSpec[]>([]);
  const [chat, setChat] = useState<ChatShape | null>(null);
  const [last, setLast] = useState<PublishAnswer | null>(null);
  const [form, setForm] = useState<PublishForm>({ note: '', origins: '', timeoutSec: '120' });
  const [diff, setDiff] = useState<FlowDiffAnswer | null>(null);
  const [error, setError] = useState<PublishErrorView | null>(null);
  const [isBusy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    const [list, io] = await Promise.all([publishApi.versions(flowId), publishApi.inputs(flowId)]);
    setVersions(list.versions);
    setInputs(io.inputs);
    setChat(io.chat);
    const newest = list.versions[0];
    if (newest) {
      setForm((f) => ({
        ...f,
        origins: newest.settings.allowedOrigins.join('\n'),
        timeoutSec: String(Math.round(newest.settings.timeoutMs / 1000)),
      }));
    }
  }, [flowId]);

  useEffect(() => {
    reload().catch((err: unknown) => setError(describePublishError(err, [])));
  }, [reload]);

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(describePublishError(err, parseOrigins(form.origins)));
    } finally {
      setBusy(false);
    }
  };

  const publish = () => {
    // Checked here, in seconds: the API's limit is in milliseconds, and a value like "abc" must not become a default.
    const seconds = Number(form.timeoutSec);
    if (form.timeoutSec.trim() === '' || !Number.isFinite(seconds) || seconds < 0.1 || seconds > MAX_TIMEOUT_SECONDS) {
      setError({
        message: 'Check the marked fields.',
        fields: { timeout: [`a number of seconds from 0.1 to ${MAX_TIMEOUT_SECONDS}`] },
        problems: [],
      });
      return;
    }
    return act(async () => {
      setLast(null);
      await beforePublish?.();
      const allowedOrigins = parseOrigins(form.origins);
      const note = form.note.trim();
      const answer = await publishApi.publish(flowId, {
        ...(note && { note }),
        settings: { allowedOrigins, timeoutMs: Math.round(seconds * 1000) },
      });
      setLast(answer);
      setForm((f) => ({ ...f, note: '' }));
      setDiff(null);
      await reload();
    });
  };

  const rollback = (version: number) =>
    act(async () => {
      setLast(await publishApi.rollback(flowId, version));
      setDiff(null);
      await reload();
    });

  const showDiff = (from: string, to: string) => act(async () => setDiff(await publishApi.diff(flowId, from, to)));

  return { versions, inputs, chat, last, form, setForm, diff, error, isBusy, publish, rollback, showDiff };
}

export type Publishing = ReturnType<typeof usePublishing>;
