// Package budgets answers the disruption controller's question before each action: how many more of this
// pool's nodes may start disrupting now, for this reason? It reads spec.disruption.budgets of a NodePool and is
// pure: no clients, no cloud SDK, and no clock of its own (callers pass now from their injected clock). It must
// not import sigs.k8s.io/controller-runtime, k8s.io/client-go or the AWS SDK.
//
// # Which budget decides
//
// A budget applies to a reason when its reasons list names it or is empty. A budget without a schedule is always
// active. The most restrictive active budget that applies wins (on a tie, the first in the list). Nodes already
// disrupting, for any reason, count against it, and the answer is never negative. When budgets exist but none is
// active and applicable, nothing limits the reason: every node not already disrupting may start.
//
// A pool with no budgets at all gets what the API defaults the field to, one budget of nodes "10%" for all
// reasons (reported as Limit.Index -1). A budget whose nodes is "" is read the same way, as "10%".
//
// # Counting nodes
//
// Nodes is a count ("5") or a percentage of the pool's current node count, disrupting nodes included ("10%").
// Percentages round up, so any non-zero percentage of a non-empty pool allows at least one node: 10% of 5 nodes
// is 1, 25% of 10 is 3. "0" and "0%" block disruption; "100%" allows every node.
//
// # Schedules and time zones
//
// Schedule is a five-field cron expression or @yearly, @annually, @monthly, @weekly, @daily, @midnight or
// @hourly, parsed and stepped by github.com/robfig/cron/v3; day and month names are case-insensitive and 7 is
// Sunday, as in the CRD (the library accepts only 0-6, so 7 is rewritten to 0 first). @every, TZ= and CRON_TZ=
// are refused: the CRD does not allow them, and the zone belongs in timeZone. The budget is active from each
// start for Duration of elapsed time, a half-open interval [start, start+duration). Starts are wall-clock times
// in TimeZone (UTC when unset), so a "0 9 * * *" window in Europe/Berlin opens at 08:00 UTC in winter and 07:00
// UTC in summer. Across daylight-saving changes the library's rules apply:
//
//   - a start inside the hour skipped when clocks spring forward does not happen that day ("30 2 * * *" in
//     America/New_York has no window on 8 March 2026; it opens again at 02:30 EDT on 9 March);
//   - a start inside the hour repeated when clocks fall back happens twice, an hour apart ("30 1 * * *" in
//     America/New_York opens at 01:30 EDT and again at 01:30 EST on 1 November 2026), so a window of an hour or
//     more simply lasts an hour longer that night;
//   - a window that spans a change lasts its Duration of real time, not of wall-clock time.
//
// # Errors
//
// A schedule the library cannot parse, an unknown time zone, a malformed nodes value, or a schedule without a
// duration (objects may predate the CRD's validation) yield a *FieldError naming the field, such as
// spec.disruption.budgets[2].schedule. Callers must then treat the pool as allowing no disruption and surface
// the error; Allowed returns 0 alongside it. Every budget is checked, whatever the reason asked about, so a
// broken pool is blocked and reported consistently.
package budgets
