/** The "Models" section of the Runs panel: registered models, their versions and aliases. */
import { IRegisteredModel } from './api';
import { h, labButton } from './dom';
import { loadModelCode } from './runDetail';
import { IPanelHost } from './host';

export function renderModels(models: IRegisteredModel[], host: IPanelHost): HTMLElement {
  const root = h('div', { class: 'mlnb-registry' });
  if (!models.length) {
    root.appendChild(h('div', { class: 'mlnb-empty' }, 'No registered models yet: mlnb.register_model(...)'));
    return root;
  }
  for (const model of models) {
    const aliases = Object.entries(model.aliases).sort(([a], [b]) => a.localeCompare(b));
    const item = h(
      'div',
      { class: 'mlnb-registered-model', attrs: { 'data-model': model.name } },
      h('div', { class: 'mlnb-model-title' }, model.name)
    );
    if (aliases.length) {
      const chips = h('div', { class: 'mlnb-aliases' });
      for (const [alias, version] of aliases) {
        chips.appendChild(h('span', { class: 'mlnb-alias', title: `models:/${model.name}@${alias}` }, `@${alias} → v${version}`));
      }
      item.appendChild(chips);
    }
    const ul = h('ul', { class: 'mlnb-versions' });
    for (const v of model.versions) {
      ul.appendChild(
        h(
          'li',
          {},
          h('span', { class: 'mlnb-version' }, `v${v.version}`),
          v.current_stage && v.current_stage !== 'None' ? h('span', { class: 'mlnb-stage' }, v.current_stage) : null,
          ...v.aliases.map(a => h('span', { class: 'mlnb-alias' }, `@${a}`)),
          h('code', { class: 'mlnb-model-uri', title: v.source }, v.model_uri),
          labButton('Insert', () => void host.insertCode(loadModelCode(v.model_uri), false), 'mlnb-small', 'Insert load_model')
        )
      );
    }
    item.appendChild(ul);
    root.appendChild(item);
  }
  return root;
}
