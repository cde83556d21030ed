import type { ChatShape, FlowDiffAnswer, FlowInputSpec, PublishAnswer } from '@flowloom/nodes/spec';
import { useCallback, useEffect, useState } from 'react';
import { type PublishedSummary, publishApi } from './api';
import { describePublishError, type PublishErrorView } from './errors';
import { initialTimeout, MAX_TIMEOUT_MS, timeoutProblem, toSeconds } from './timeout';

/** Origins as typed (one per line or comma separated), trailing slashes dropped. */
export function parseOrigins(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

function isSameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
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
  const [form, setForm] = useState<PublishForm>({ note: '', origins: '', timeoutSec: toSeconds(120_000) });
  /** The longest run the server allows (FLOWLOOM_RUN_TIMEOUT_MS), once the versions are read. */
  const [timeoutCeilingMs, setTimeoutCeilingMs] = useState(MAX_TIMEOUT_MS);
  /** Set when the newest version's limit was above the ceiling, and the form starts lowered to it. */
  const [loweredTimeout, setLoweredTimeout] = useState<{ version: number; fromMs: number } | null>(null);
  const [diff, setDiff] = useState<FlowDiffAnswer | null>(null);
  /** The draft against the live (newest) version; null before the first publish. */
  const [liveDiff, setLiveDiff] = useState<FlowDiffAnswer | null>(null);
  const [error, setError] = useState<PublishErrorView | null>(null);
  const [isBusy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    const [list, io] = await Promise.all([publishApi.versions(flowId), publishApi.inputs(flowId)]);
    // What changed in the draft since the live version: nothing, and there is nothing to publish.
    const live = list.versions[0];
    setLiveDiff(live ? await publishApi.diff(flowId, String(live.version), 'draft') : null);
    setVersions(list.versions);
    setInputs(io.inputs);
    setChat(io.chat);
    setTimeoutCeilingMs(list.runTimeoutCeilingMs);
    const newest = list.versions[0];
    const timeout = initialTimeout(newest?.settings.timeoutMs, list.runTimeoutCeilingMs);
    setLoweredTimeout(
      newest && timeout.loweredFromMs !== undefined ? { version: newest.version, fromMs: timeout.loweredFromMs } : null,
    );
    setForm((f) => ({
      ...f,
      ...(newest && { origins: newest.settings.allowedOrigins.join('\n') }),
      timeoutSec: timeout.seconds,
    }));
  }, [flowId]);

  useEffect(() => {
    // Pending edits are saved first, so "nothing changed since the live version" speaks of what is on screen.
    Promise.resolve(beforePublish?.())
      .then(reload)
      .catch((err: unknown) => setError(describePublishError(err, [])));
  }, [reload, beforePublish]);

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
    const problem = timeoutProblem(form.timeoutSec, timeoutCeilingMs);
    if (problem) {
      setError({ message: 'Check the marked fields.', fields: { timeout: [problem] }, problems: [] });
      return;
    }
    const seconds = Number(form.timeoutSec);
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

  const live = versions[0];
  const areSettingsChanged =
    live !== undefined &&
    (!isSameList(parseOrigins(form.origins), live.settings.allowedOrigins) ||
      Math.round(Number(form.timeoutSec) * 1000) !== live.settings.timeoutMs);
  /** Whether publishing would make a different version: never published, or the draft or the settings changed. */
  const hasChanges = live === undefined || liveDiff === null || !liveDiff.isEmpty || areSettingsChanged;

  return {
    versions,
    hasChanges,
    /** The allowed origins as typed, parsed. */
    origins: parseOrigins(form.origins),
    inputs,
    chat,
    last,
    form,
    setForm,
    timeoutCeilingMs,
    loweredTimeout,
    diff,
    error,
    isBusy,
    publish,
    rollback,
    showDiff,
  };
}

export type Publishing = ReturnType<typeof usePublishing>;
