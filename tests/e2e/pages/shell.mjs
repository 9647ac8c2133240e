// Page object for the app shell: navigation and the pages behind it.
export class Shell {
  constructor(page, baseUrl) {
    this.page = page;
    this.baseUrl = baseUrl;
  }

  async open(hash = '#/') {
    await this.page.goto(this.baseUrl + hash);
    // The wasm app has mounted once the navigation is in the DOM.
    await this.page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  nav(label) {
    return this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true });
  }

  heading() {
    return this.page.getByRole('heading', { level: 1 });
  }
}
