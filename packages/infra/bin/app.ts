import { createApp } from '../src/app.ts';

createApp().app.synth();
