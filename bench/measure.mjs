import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'

export const RUNS = Number(process.env.BENCH_RUNS ?? 10)

/** Median, min and max of `runs` timed calls after one warm-up call. */
export async function measure(fn, runs = RUNS) {
  await fn()
  const times = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times.at(-1), runs }
}

/**
 * `measure` for several calls at once, taking turns run by run: on a shared,
 * noisy machine a burst of load then falls on all of them, not on one row.
 */
export async function measureTogether(fns, runs = RUNS) {
  for (const fn of fns) await fn()
  const times = fns.map(() => [])
  for (let i = 0; i < runs; i++) {
    for (const [index, fn] of fns.entries()) {
      const start = performance.now()
      await fn()
      times[index].push(performance.now() - start)
    }
  }
  return times.map((list) => {
    list.sort((a, b) => a - b)
    return { median: list[Math.floor(list.length / 2)], min: list[0], max: list.at(-1), runs }
  })
}

/** Where and when: the machine is shared, so the load average (1 minute) at the start goes with every result. */
export const machine = () => `Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, load average ${loadavg()[0].toFixed(1)}, ${new Date().toISOString().slice(0, 10)}`
