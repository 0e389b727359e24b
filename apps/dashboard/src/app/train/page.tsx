import { TrainView } from '../../components/TrainView';
import './train.css';

export const metadata = { title: 'Train in the browser · Optoscope' };

export default function TrainPage() {
  return <TrainView />;
}
