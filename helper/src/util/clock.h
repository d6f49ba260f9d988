/* Local clocks. Lease ages are measured here, never on the wall clock,
 * which an operator or NTP may step at any moment. */
#ifndef ECSR_CLOCK_H
#define ECSR_CLOCK_H

/* Seconds on a clock that never goes back and keeps counting while the
 * machine is suspended (Linux CLOCK_BOOTTIME; CLOCK_MONOTONIC elsewhere): a
 * laptop that slept through a lease has seen it pass. */
double clock_elapsed_s(void);

/* The local wall clock, Unix seconds with fractions. */
double clock_wall_s(void);

#endif
