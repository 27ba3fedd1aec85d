/**
 * Apache ECharts, tree-shaken to what the dashboard draws, with vue-echarts' component. Only the
 * dashboard route imports this module, so the library lands in that route's chunk alone.
 */
import { use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { BarChart, LineChart } from 'echarts/charts'
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import VChart from 'vue-echarts'

use([CanvasRenderer, LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent])

export { VChart }
