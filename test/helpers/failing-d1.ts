/**
 * Failure injection for storage tests: the real D1 binding with some calls made to fail, never a
 * failure hook in production code.
 */

/** D1 itself, except that every batch gets one more statement at the end, which fails. */
export function d1FailingAtEndOfBatch(d1: D1Database): D1Database {
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'batch') {
        return (statements: D1PreparedStatement[]) =>
          target.batch([...statements, target.prepare('INSERT INTO no_such_table (x) VALUES (1)')])
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** A D1 binding that is down: every call throws, as D1 does when it is unreachable or overloaded. */
export function d1Down(d1: D1Database): D1Database {
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare' || property === 'batch' || property === 'exec') {
        return () => {
          throw new Error('D1_ERROR: injected outage')
        }
      }
      return Reflect.get(target, property)
    },
  })
}

/** D1 itself, except that every statement whose SQL matches `pattern` fails when prepared. */
export function d1FailingOn(d1: D1Database, pattern: RegExp): D1Database {
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare') {
        return (query: string) => {
          if (pattern.test(query)) throw new Error('D1_ERROR: injected outage')
          return target.prepare(query)
        }
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
