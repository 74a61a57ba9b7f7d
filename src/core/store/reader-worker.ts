/**
 * A worker thread that opens a reader's entry for synchronous callers:
 * start-up code reads the store synchronously, age's library is asynchronous,
 * so the caller blocks on `Atomics.wait` while this thread does the work.
 */
import type { MessagePort } from 'node:worker_threads'
import { workerData } from 'node:worker_threads'
import { SecretsError } from '../errors'
import type { StoreFile } from './format'
import type { KeyContext } from './key-sources'
import { readerIdentityKey } from './reader-key'

export interface ReaderWorkerData {
  file: StoreFile
  context: KeyContext
  port: MessagePort
  done: Int32Array
}

const { file, context, port, done } = workerData as ReaderWorkerData
try {
  port.postMessage({ found: await readerIdentityKey.find(file, context) })
}
catch (error) {
  port.postMessage(
    error instanceof SecretsError
      ? { error: { code: error.code, message: error.message } }
      : { error: { message: String((error as Error)?.message ?? error) } },
  )
}
finally {
  Atomics.store(done, 0, 1)
  Atomics.notify(done, 0)
}
