import { cpus } from 'node:os'
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

export const machine = () => `Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, ${new Date().toISOString().slice(0, 10)}`
