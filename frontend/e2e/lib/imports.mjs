// Helpers of the tests that work the Imports screen.

// count waits until the badge of a finding code shows n (0: the badge is gone).
export async function count(page, code, n) {
  await page.waitForFunction(
    ([code, n]) => {
      const el = document.querySelector(`[data-testid="count-${code}"] [data-testid="count-value"]`)
      return n === 0 ? el === null : el?.textContent === String(n)
    },
    [code, n],
  )
}

// chooseOption picks the option with text in the Naive UI select inside container.
export async function chooseOption(page, container, text) {
  await container.locator('.n-base-selection').click()
  await page.locator('.n-base-select-option').filter({ hasText: text }).first().click()
}
