import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { theme } from "./lib/theme.svelte";

document.documentElement.dataset.theme = theme.current;
mount(App, { target: document.getElementById("app")! });
