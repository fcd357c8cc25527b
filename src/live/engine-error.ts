/** Engine.IO's own error answer (HTTP 400 with `{code, message}`), which its clients understand. */
export function engineError(code: number, message: string): Response {
  return Response.json({ code, message }, { status: 400 })
}
