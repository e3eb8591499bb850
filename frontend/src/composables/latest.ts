// latestCalls numbers loads that may overlap, so that only the answer to the latest is
// used: an earlier load may answer after a later one, with what was true before it.
// begin() is called as a load starts; the function it returns says, once the answer is
// in, whether no other load has started since.
export function latestCalls() {
  let last = 0
  return {
    begin(): () => boolean {
      const me = ++last
      return () => me === last
    },
  }
}
