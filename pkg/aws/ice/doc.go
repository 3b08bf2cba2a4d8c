// Package ice remembers offerings EC2 recently had no capacity for. When a launch fails with an
// insufficient-capacity error for an instance type in a zone and capacity type, that offering is marked
// unavailable for a while (three minutes by default), so the next solve plans around it instead of asking EC2
// for the same thing in a loop.
package ice
