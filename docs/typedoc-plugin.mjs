// @ts-check
/**
 * typedoc plugin of the dlkata docs: the `dlkata` router, typedoc's default `kind` router
 * except that a markdown page with a `slug` in its front matter gets the stable address
 * `documents/<slug>.html` (e.g. `documents/05-residual.html`) instead of one made from its
 * title, so links to a guide (from error messages, the README, bookmarks) survive a change
 * of title.
 */
import { KindRouter } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.renderer.defineRouter(
    'dlkata',
    class extends KindRouter {
      /** @param {import('typedoc').Reflection} reflection */
      getIdealBaseName(reflection) {
        if (reflection.isDocument() && reflection.parent?.isProject() && typeof reflection.frontmatter['slug'] === 'string') {
          return `documents/${reflection.frontmatter['slug']}`;
        }
        return super.getIdealBaseName(reflection);
      }
    },
  );
}
