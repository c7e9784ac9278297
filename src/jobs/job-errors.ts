// Why a job attempt stopped. The worker decides from the class alone whether to retry, give
// up or quietly step aside; the message of a TransientJobError or PermanentJobError is shown
// to users in CollectionJob.error, so it is written for them.

/** Base for failures whose message a user can read. */
export abstract class JobFailure extends Error {}

/** Worth another attempt later: feed 5xx/429, timeouts, connection resets. */
export class TransientJobError extends JobFailure {
  override name = "TransientJobError";
}

/** Will fail the same way every time: feed 4xx, malformed feed, limits, disallowed hosts. */
export class PermanentJobError extends JobFailure {
  override name = "PermanentJobError";
}

/** Another attempt holds the job now (this worker was presumed dead); write nothing more. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** The job was cancelled; stop at this page boundary. */
export class JobCancelledError extends Error {
  override name = "JobCancelledError";
}

/** The worker is shutting down: the job goes back to the queue from its last checkpoint. */
export class WorkerStoppingError extends Error {
  override name = "WorkerStoppingError";
}
