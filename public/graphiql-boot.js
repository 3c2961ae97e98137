// GraphiQL's start-up (the page is rendered by src/graphql/graphiql-page.ts). Loaded before GraphiQL's
// script, so Monaco finds its workers' addresses when it starts them; GraphiQL is rendered once the
// whole page, its script included, has loaded.
(() => {
  const config = JSON.parse(document.getElementById('graphiql-config').textContent);

  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: (_moduleId, label) => config.workers[label] ?? config.workers.editorWorkerService,
  };

  document.addEventListener('DOMContentLoaded', () => {
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), config.options);
  });
})();
