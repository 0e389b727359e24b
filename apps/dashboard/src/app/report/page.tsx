import { ReportView } from '../../components/ReportView';

export default function ReportPage() {
  return <ReportView />;
}
