import { createApp } from 'vue'
import App from './App.vue'
import { watch as mendAria } from './a11y'
import { createAppRouter } from './router'
import './style.css'

createApp(App).use(createAppRouter()).mount('#app')
// Naive UI's unnamed checkboxes, level-less headings and number buttons, named (a11y.ts).
mendAria(document.body)
