/* Many independent calls at once: each worker thread has its own connection
 * and a snapshot of the client's credentials, and runs the same retries.
 * For write calls AWS offers no batch for (TerminateInstanceInAutoScalingGroup
 * takes one instance), so that a thousand of them take seconds, not minutes. */
#ifndef ECSR_AWS_FANOUT_H
#define ECSR_AWS_FANOUT_H

#include <stddef.h>

#include "aws/client.h"

/* One call: `worker` is a client of its own; `index` is the job's number. */
typedef int (*aws_fanout_job)(struct aws_client *worker, size_t index, void *userdata,
                              struct err *err);

/* Runs jobs 0..n-1 on up to max_workers threads (1: in this thread, in
 * order). Every job runs even when others fail. Returns 0 when all
 * succeeded; otherwise -1, with *first_err the error of the lowest-numbered
 * failed job and ok[i] (when not NULL) telling which succeeded. The client's
 * stats add up the workers'. */
int aws_fanout(struct aws_client *c, size_t n, int max_workers, aws_fanout_job job, void *userdata,
               int *ok, struct err *first_err);

#endif
